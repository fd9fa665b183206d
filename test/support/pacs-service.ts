/** A PacsService on the case database of a data folder, with a fast outbox back-off (the outbox tests). */
import path from "node:path";
import { type CaseDatabase, openCaseDatabase } from "../../src-main/db/database";
import { EventBus } from "../../src-main/services/events/event-bus";
import { ImportService } from "../../src-main/services/import/import-service";
import { PacsService } from "../../src-main/services/pacs/pacs-service";
import { FileSecretStore } from "../../src-main/services/pacs/secret-store";
import type { OutboxEntry } from "../../src-shared/pacs-types";

export function openPacsService(
  dataDir: string,
  onChange?: (e: OutboxEntry) => void,
): { db: CaseDatabase; service: PacsService } {
  const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
  const events = new EventBus();
  const service = new PacsService({
    db,
    events,
    importer: new ImportService(db, events, { demoStudiesDir: path.join(dataDir, "no-demo-studies") }),
    secrets: new FileSecretStore(dataDir),
    dataDir,
    outbox: { baseDelayMs: 100, maxDelayMs: 400, ...(onChange ? { onChange } : {}) },
  });
  return { db, service };
}
