/**
 * What a study's files say about its scope (src-shared/scope), read through the one DICOM reader: the header only,
 * no pixel decoding. Synchronous and bounded, so the reports service can decide when a study is opened.
 */
import fs from "node:fs";
import nodePath from "node:path";
import { readDicomSetup, SNIFF_BYTES, sniffImageFormat } from "../../../src-shared/imaging/dicom-reader";
import { describeThrown, isImagingError } from "../../../src-shared/imaging/errors";
import { type ImageScopeFacts, scopeFactsFromMetadata } from "../../../src-shared/scope/chest-scope";
import { parseDicomBytes } from "../imaging/decode-image";

/** Files above this are not read for the scope check (the check says so; the draft's own decode still runs). */
export const MAX_SCOPE_READ_BYTES = 512 * 1024 * 1024;

export interface ScopeFactsResult {
  readonly facts: ImageScopeFacts[];
  /** Files whose header could not be read, each with the reason (the study is then "uncertain"). */
  readonly problems: string[];
}

function readHead(path: string, size: number): Uint8Array {
  const fd = fs.openSync(path, "r");
  try {
    const head = new Uint8Array(Math.min(size, 4096));
    const n = fs.readSync(fd, head, 0, head.length, 0);
    return head.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads the facts of each file. `known` width / height (from the import) fill in PNG/JPEG sizes, whose headers this
 * does not decode.
 */
export function readScopeFacts(
  files: ReadonlyArray<{ path: string; width?: number | null; height?: number | null }>,
): ScopeFactsResult {
  const facts: ImageScopeFacts[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const name = nodePath.basename(file.path);
    try {
      const size = fs.statSync(file.path).size;
      if (size > MAX_SCOPE_READ_BYTES) {
        problems.push(`${name}: ${size} bytes, too large for the scope check`);
        continue;
      }
      const format = size >= 8 ? sniffImageFormat(readHead(file.path, size), size) : null;
      if (format === "png" || format === "jpeg") {
        facts.push({
          file: name,
          format,
          modality: null,
          bodyPartExamined: null,
          studyDescription: null,
          seriesDescription: null,
          protocolName: null,
          photometric: null,
          numberOfFrames: 1,
          width: file.width ?? null,
          height: file.height ?? null,
        });
        continue;
      }
      if (format !== "dicom" && size < SNIFF_BYTES) {
        problems.push(`${name}: not a DICOM, PNG or JPEG image`);
        continue;
      }
      const bytes = fs.readFileSync(file.path);
      const parsed = parseDicomBytes(bytes, file.path, MAX_SCOPE_READ_BYTES);
      facts.push(scopeFactsFromMetadata(readDicomSetup(parsed, file.path, 0).metadata));
    } catch (error) {
      const reason = isImagingError(error) ? error.reason : describeThrown(error);
      problems.push(`${name}: the header cannot be read (${reason})`);
    }
  }
  return { facts, problems };
}
