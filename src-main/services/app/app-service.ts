import type { AppInfo } from "../../../src-shared/domain";
import { type CaseDatabase, schemaVersion } from "../../db/database";

export interface AppIdentity {
  name: string;
  version: string;
  transport: AppInfo["transport"];
  dataDir: string;
  databasePath: string;
  electronVersion: string | null;
}

/** What main reports about itself (shown in the status bar). */
export class AppService {
  private model: AppInfo["model"] = null;

  constructor(
    private readonly identity: AppIdentity,
    private readonly db: CaseDatabase,
  ) {}

  setModel(model: AppInfo["model"]): void {
    this.model = model;
  }

  info(): AppInfo {
    return {
      name: this.identity.name,
      version: this.identity.version,
      transport: this.identity.transport,
      dataDir: this.identity.dataDir,
      databasePath: this.identity.databasePath,
      schemaVersion: schemaVersion(this.db),
      runtime: { node: process.versions.node, electron: this.identity.electronVersion, platform: process.platform },
      model: this.model,
    };
  }

  ping(message: string): { message: string; receivedAt: string } {
    return { message, receivedAt: new Date().toISOString() };
  }
}
