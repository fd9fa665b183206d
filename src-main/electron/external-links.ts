/**
 * Which links the Electron shell may hand to the system browser (shell.openExternal). None by default: a link
 * opens only if its origin is on the allow-list in `<data folder>/external-links.json`:
 *   {"allowedOrigins": ["https://radiopaedia.org", "https://pacs.hospital.example:8443"]}
 * Only https origins (scheme, host, optional port; no path, no wildcards). Plain functions, no Electron: the shell
 * calls them and the unit tests check them (docs/security.md).
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

export const EXTERNAL_LINKS_FILE = "external-links.json";

export interface ExternalLinkPolicy {
  /** Normalised origins, e.g. "https://radiopaedia.org". */
  readonly allowedOrigins: ReadonlySet<string>;
}

export const NO_EXTERNAL_LINKS: ExternalLinkPolicy = { allowedOrigins: new Set() };

/** An https origin, exactly: what `new URL(x).origin` gives back for it. */
function normaliseOrigin(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || url.username || url.password || url.hostname.includes("*")) return null;
  return url.origin === entry.replace(/\/$/, "").toLowerCase() ? url.origin : null;
}

const ConfigSchema = z
  .object({
    allowedOrigins: z
      .array(
        z.string().refine((s) => normaliseOrigin(s) !== null, {
          message: "must be an https origin such as https://example.org (no path, no wildcard)",
        }),
      )
      .max(100),
  })
  .strict();

/** Parses the allow-list file's text; throws an error naming the file and the entry that is wrong. */
export function parseExternalLinkPolicy(text: string, file: string): ExternalLinkPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  const parsed = ConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; ");
    throw new Error(`${file} is not a valid allow-list: ${issues}`);
  }
  return { allowedOrigins: new Set(parsed.data.allowedOrigins.map((o) => normaliseOrigin(o)!)) };
}

/**
 * The allow-list of a data folder. No file: nothing is allowed. A bad file: nothing is allowed, and `problem`
 * says why (the shell reports it); never a guess.
 */
export function loadExternalLinkPolicy(dataDir: string): { policy: ExternalLinkPolicy; problem: string | null } {
  const file = path.join(dataDir, EXTERNAL_LINKS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { policy: NO_EXTERNAL_LINKS, problem: null };
    return { policy: NO_EXTERNAL_LINKS, problem: `cannot read ${file}: ${(err as Error).message}` };
  }
  try {
    return { policy: parseExternalLinkPolicy(text, file), problem: null };
  } catch (err) {
    return { policy: NO_EXTERNAL_LINKS, problem: `${(err as Error).message}; no external link will open` };
  }
}

/** Whether `url` may go to shell.openExternal, and why not. */
export function checkExternalUrl(
  url: string,
  policy: ExternalLinkPolicy,
): { allowed: true } | { allowed: false; reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { allowed: false, reason: "not a URL" };
  }
  if (parsed.protocol !== "https:") return { allowed: false, reason: `${parsed.protocol} links never open` };
  if (parsed.username || parsed.password) return { allowed: false, reason: "links with credentials never open" };
  if (!policy.allowedOrigins.has(parsed.origin))
    return { allowed: false, reason: `${parsed.origin} is not on the allow-list (${EXTERNAL_LINKS_FILE})` };
  return { allowed: true };
}
