/**
 * The one table of transfer syntaxes (src-shared/imaging/transfer-syntaxes.ts) tells the truth: every syntax it says
 * the engine, the viewer and the import accept is decoded by each — the engine's decodeImageFile, the renderer's own
 * normalisation and transcoding code (run here in Node with the same dcmjs-codecs module), and the import service —
 * on the shared files, plus HTJ2K and JPEG XL samples transcoded here; and every syntax it refuses is refused by all
 * three, with the table's reason.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Services } from "../../../src-main/services";
import { decodeImageBuffer, decodeImageFile } from "../../../src-main/services/imaging/decode-image";
import { decodeFrame, provideCodecsWasm } from "../../../src-renderer/src/features/viewer/dcmjs-frame-decoder";
import { normalizeDicomBytes } from "../../../src-renderer/src/features/viewer/dicom-normalize";
import {
  readMeta,
  textValue,
  transcodeToExplicitLittleEndian,
  writePart10,
} from "../../../src-shared/imaging/dicom-part10";
import { isImagingError } from "../../../src-shared/imaging/errors";
import {
  TRANSFER_SYNTAXES,
  transferSyntax,
  transferSyntaxProblem,
} from "../../../src-shared/imaging/transfer-syntaxes";
import { tempServices } from "../../support/vitest-fixtures";
import { syntaxSamples } from "./derived-files";
import { diffStats, REFERENCE_CR, REPO_ROOT, tempDir } from "./imaging-fixtures";

const tmp = tempDir("syntax-table-");
let samples: Map<string, string>;
let services: Services;

beforeAll(async () => {
  const wasm = fs.readFileSync(path.join(REPO_ROOT, "node_modules/dcmjs-codecs/build/dcmjs-native-codecs.wasm"));
  provideCodecsWasm(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  samples = await syntaxSamples(tmp.dir);
  services = tempServices("syntax-table-db-");
});
afterAll(() => {
  services?.close();
  tmp.cleanup();
});

/** The viewer's preparation of a file (the renderer's code; its worker's transcoding in process). */
function viewerBytes(bytes: Uint8Array, name: string): Promise<ArrayBuffer> {
  const copy = Uint8Array.from(bytes);
  return normalizeDicomBytes(copy.buffer, name, (b) => transcodeToExplicitLittleEndian(b, decodeFrame, name));
}

const accepted = TRANSFER_SYNTAXES.filter((t) => t.engine || t.viewer || t.import);
const refused = TRANSFER_SYNTAXES.filter((t) => !t.engine && !t.viewer && !t.import);

describe("the table", () => {
  test("one entry per UID; the import accepts exactly what both the engine and the viewer accept", () => {
    expect(new Set(TRANSFER_SYNTAXES.map((t) => t.uid)).size).toBe(TRANSFER_SYNTAXES.length);
    for (const t of TRANSFER_SYNTAXES) {
      expect(t.import, t.name).toBe(t.engine && t.viewer);
      expect(t.codec === null, t.name).toBe(!t.engine);
      expect(t.refusal === null, t.name).toBe(t.import);
    }
    console.log(
      `transfer syntaxes: ${TRANSFER_SYNTAXES.length} known, ${accepted.length} accepted by import/engine/viewer, ${refused.length} refused`,
    );
  });

  test("every accepted syntax has a sample", () => {
    expect(accepted.filter((t) => !samples.has(t.uid)).map((t) => t.name)).toEqual([]);
  });
});

describe.each(accepted.map((t) => [t.name, t.uid] as const))("%s (%s)", (_name, uid) => {
  test("the engine decodes it", async () => {
    const file = samples.get(uid) as string;
    const image = await decodeImageFile(file);
    expect(image.metadata.transferSyntaxUid).toBe(uid);
    expect(image.displayPixels.length).toBe(image.width * image.height);
    expect(new Set(image.displayPixels).size).toBeGreaterThan(60);
  });

  test("the viewer's preparation gives native pixel data with the engine's pixels", async () => {
    const file = samples.get(uid) as string;
    const prepared = new Uint8Array(await viewerBytes(fs.readFileSync(file), path.basename(file)));
    const fromViewer = await decodeImageBuffer(prepared, `${path.basename(file)} (viewer)`);
    expect(transferSyntax(fromViewer.metadata.transferSyntaxUid ?? "")?.codec).toBe("native");
    const engine = await decodeImageFile(file);
    expect([fromViewer.width, fromViewer.height]).toEqual([engine.width, engine.height]);
    expect(diffStats(fromViewer.modalityPixels, engine.modalityPixels).max).toBe(0);
  });
});

test("the import accepts a sample of every accepted syntax", async () => {
  const files = [...new Set(samples.values())];
  const result = await services.importer.importPaths(files);
  expect(result.failures).toEqual([]);
  expect(result.imagesAdded + result.imagesUnchanged).toBe(files.length);
  const stored = services.db.prepare("SELECT DISTINCT transfer_syntax FROM images").all() as Array<{
    transfer_syntax: string;
  }>;
  expect(stored.map((r) => r.transfer_syntax).sort()).toEqual(accepted.map((t) => t.uid).sort());
});

describe("refused syntaxes are refused by all three, with the table's reason", () => {
  /** The CR chest with its meta header's Transfer Syntax UID replaced. */
  function relabelled(uid: string): Uint8Array {
    const bytes = new Uint8Array(fs.readFileSync(REFERENCE_CR));
    const { elements, end } = readMeta(bytes);
    return writePart10(
      elements.map((m) => (m.element === 0x0010 ? { ...m, value: textValue(uid) } : m)),
      [bytes.subarray(end)],
    );
  }

  test.each([...refused.map((t) => t.uid), "1.2.840.99999.1"])("%s", async (uid) => {
    const file = path.join(tmp.dir, `relabelled-${uid}.dcm`);
    fs.writeFileSync(file, relabelled(uid));
    const engine = await decodeImageFile(file).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isImagingError(engine, "UNSUPPORTED_TRANSFER_SYNTAX"), String(engine)).toBe(true);
    expect(isImagingError(engine) && engine.reason).toBe(transferSyntaxProblem(uid, "engine"));
    const viewer = await viewerBytes(fs.readFileSync(file), "relabelled.dcm").then(
      () => null,
      (e: unknown) => e,
    );
    expect(isImagingError(viewer) && viewer.reason).toBe(transferSyntaxProblem(uid, "viewer"));
    const imported = await services.importer.importPaths([file]);
    expect(imported.failures).toEqual([{ path: file, reason: transferSyntaxProblem(uid, "import") }]);
  });
});
