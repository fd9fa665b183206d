/**
 * Where PACS passwords and tokens live: never in the case database. `SecretStore` is the interface the PACS service
 * uses; `FileSecretStore` keeps the secrets in one JSON file in the data folder, readable and writable by the user
 * only (mode 0600, written atomically), each value passed through a `SecretCodec`:
 * - the Electron shell injects a codec on `safeStorage` (the OS keychain encrypts; src-main/electron/safe-storage.ts),
 * - the loopback harness and the CLIs use the plain codec: the file's permissions are the protection, and a file
 *   that others can read is refused rather than used.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { PacsError } from "./errors";

export interface SecretStore {
  /** How secrets are protected, for the settings panel ("OS keychain (safeStorage)", "file readable by you only"). */
  readonly protection: string;
  get(id: string): string | null;
  set(id: string, secret: string): void;
  delete(id: string): void;
}

export interface SecretCodec {
  readonly name: string;
  encode(plain: string): string;
  decode(stored: string): string;
}

/** No encryption: the file mode (0600) protects the values. */
export const plainCodec: SecretCodec = {
  name: "file readable by this user only (0600)",
  encode: (plain) => `plain:${Buffer.from(plain, "utf8").toString("base64")}`,
  decode: (stored) => {
    if (!stored.startsWith("plain:"))
      throw new PacsError("INVALID_INPUT", "a stored secret was written by another codec");
    return Buffer.from(stored.slice(6), "base64").toString("utf8");
  },
};

const FileSchema = z.object({
  format: z.literal("radiology-draft/secrets@1"),
  secrets: z.record(z.string(), z.string()),
});

export const SECRETS_FILE = "pacs-secrets.json";
/** How messages name the file: the problem, never the absolute path (errors reach the UI and the logs). */
const SECRETS_FILE_NAME = `the PACS secrets file (${SECRETS_FILE} in the data folder)`;

export class FileSecretStore implements SecretStore {
  readonly file: string;
  readonly protection: string;

  constructor(
    dataDir: string,
    private readonly codec: SecretCodec = plainCodec,
  ) {
    this.file = path.join(dataDir, SECRETS_FILE);
    this.protection = codec.name;
  }

  private read(): Record<string, string> {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new PacsError(
        "INVALID_INPUT",
        `cannot read ${SECRETS_FILE_NAME}: ${(error as NodeJS.ErrnoException).code ?? "unknown error"}`,
      );
    }
    if (process.platform !== "win32" && (stat.mode & 0o077) !== 0)
      throw new PacsError(
        "INVALID_INPUT",
        `${SECRETS_FILE_NAME} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}): run chmod 600 on it`,
      );
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (error) {
      throw new PacsError(
        "INVALID_INPUT",
        `cannot read ${SECRETS_FILE_NAME}: ${(error as NodeJS.ErrnoException).code ?? "unknown error"}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new PacsError("INVALID_INPUT", `${SECRETS_FILE_NAME} is damaged (not JSON: ${(error as Error).message})`);
    }
    const parsed = FileSchema.safeParse(json);
    if (!parsed.success)
      throw new PacsError("INVALID_INPUT", `${SECRETS_FILE_NAME} is not a secrets file of this application`);
    return parsed.data.secrets;
  }

  private write(secrets: Record<string, string>): void {
    try {
      this.writeFile(secrets);
    } catch (error) {
      throw new PacsError(
        "INVALID_INPUT",
        `cannot write ${SECRETS_FILE_NAME}: ${(error as NodeJS.ErrnoException).code ?? "unknown error"}`,
      );
    }
  }

  private writeFile(secrets: Record<string, string>): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${crypto.randomBytes(6).toString("hex")}.tmp`;
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
      fs.writeSync(fd, JSON.stringify({ format: "radiology-draft/secrets@1", secrets }, null, 1));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(tmp, 0o600); // in case the umask took bits away from openSync's mode, never added
    fs.renameSync(tmp, this.file);
  }

  get(id: string): string | null {
    const stored = this.read()[id];
    return stored === undefined ? null : this.codec.decode(stored);
  }

  set(id: string, secret: string): void {
    const secrets = this.read();
    secrets[id] = this.codec.encode(secret);
    this.write(secrets);
  }

  delete(id: string): void {
    const secrets = this.read();
    if (!(id in secrets)) return;
    delete secrets[id];
    this.write(secrets);
  }
}
