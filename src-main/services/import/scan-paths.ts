/**
 * Expands the paths given to an import into the files to read: files as they are, folders walked recursively
 * (symbolic links followed once, hidden entries such as .DS_Store skipped). Paths that cannot be read are reported.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { ImportFailure } from "../../../src-shared/import-types";

export const MAX_IMPORT_FILES = 50_000;

export interface ScanResult {
  /** Absolute, de-duplicated file paths in a stable order (per given path: sorted walk). */
  files: string[];
  failures: ImportFailure[];
  /** Hidden files skipped. */
  ignored: number;
}

function isAbsolutePath(p: string): boolean {
  return path.isAbsolute(p);
}

export async function scanPaths(paths: readonly string[], signal?: AbortSignal): Promise<ScanResult> {
  const files: string[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  const failures: ImportFailure[] = [];
  let ignored = 0;
  let overflow = false;

  const addFile = async (filePath: string) => {
    let real: string;
    try {
      real = await fs.realpath(filePath);
    } catch {
      real = filePath;
    }
    if (seenFiles.has(real)) return;
    if (files.length >= MAX_IMPORT_FILES) {
      overflow = true;
      return;
    }
    seenFiles.add(real);
    files.push(filePath);
  };

  const walk = async (dir: string): Promise<void> => {
    signal?.throwIfAborted();
    let real: string;
    try {
      real = await fs.realpath(dir);
    } catch (err) {
      failures.push({ path: dir, reason: `cannot read folder: ${(err as Error).message}` });
      return;
    }
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      failures.push({ path: dir, reason: `cannot read folder: ${(err as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (overflow) return;
      const full = path.join(dir, entry.name);
      if (entry.name.startsWith(".")) {
        ignored++;
        continue;
      }
      let kind: "file" | "dir" | "other" = entry.isFile() ? "file" : entry.isDirectory() ? "dir" : "other";
      if (entry.isSymbolicLink()) {
        try {
          const st = await fs.stat(full);
          kind = st.isFile() ? "file" : st.isDirectory() ? "dir" : "other";
        } catch (err) {
          failures.push({ path: full, reason: `broken link: ${(err as Error).message}` });
          continue;
        }
      }
      if (kind === "file") await addFile(full);
      else if (kind === "dir") await walk(full);
    }
  };

  for (const given of paths) {
    if (overflow) break;
    if (!isAbsolutePath(given)) {
      failures.push({ path: given, reason: "not an absolute path" });
      continue;
    }
    const resolved = path.resolve(given);
    let st: Awaited<ReturnType<typeof fs.stat>>;
    try {
      st = await fs.stat(resolved);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      failures.push({
        path: given,
        reason: code === "ENOENT" ? "no such file or folder" : `cannot read: ${(err as Error).message}`,
      });
      continue;
    }
    if (st.isDirectory()) await walk(resolved);
    else if (st.isFile()) await addFile(resolved);
    else failures.push({ path: given, reason: "neither a file nor a folder" });
  }
  if (overflow) {
    failures.push({
      path: paths.join(", "),
      reason: `more than ${MAX_IMPORT_FILES} files: only the first ${MAX_IMPORT_FILES} were imported; import the rest in parts`,
    });
  }
  return { files, failures, ignored };
}
