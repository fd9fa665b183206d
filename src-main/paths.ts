import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const APP_NAME = "Radiology Draft";
/** Environment variable that points the case database and user files elsewhere (tests, portable installs). */
export const DATA_DIR_ENV = "RADIOLOGY_DRAFT_DATA_DIR";

/** The case database inside a data folder. */
export function caseDatabasePath(dataDir: string): string {
  return path.join(dataDir, "cases.sqlite");
}

/** The repository / application root: the folder holding package.json, models/ and resources/. */
export function appRoot(): string {
  const fromEnv = process.env.RADIOLOGY_DRAFT_APP_ROOT;
  if (fromEnv) return path.resolve(fromEnv);
  // src-main/paths.ts in development, out/main/*.js when bundled: walk up to the folder with package.json.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

/** The platform's per-user data folder, the same that Electron's app.getPath("userData") gives. */
export function platformUserDataDir(): string {
  const home = os.homedir();
  if (process.platform === "win32")
    return path.join(process.env.APPDATA ?? path.join(home, "AppData", "Roaming"), APP_NAME);
  if (process.platform === "darwin") return path.join(home, "Library", "Application Support", APP_NAME);
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, ".config"), APP_NAME);
}

/** --data-dir flag, then RADIOLOGY_DRAFT_DATA_DIR, then the platform default. */
export function resolveDataDir(flag?: string | null, fallback: string = platformUserDataDir()): string {
  if (flag) return path.resolve(flag);
  const env = process.env[DATA_DIR_ENV];
  if (env) return path.resolve(env);
  return fallback;
}
