/**
 * Damaged image data is refused, not guessed: a seeded mutation test over every file in ../shared/data/dicom —
 * truncated at several offsets, a range zeroed, bytes flipped, and (compressed files) the codestream cut inside an
 * intact container — through all three readers: the engine (decodeImageBuffer), the viewer (the renderer's
 * normalisation and transcoding, in process) and the import (the import service, its worker pool). Every outcome is a
 * decoded image of the right size or a typed refusal naming the file: no crash (no error that is not an ImagingError,
 * none caused by a TypeError / RangeError), no stack trace in any message, and every truncated file refused by all
 * three. Prints the counts.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Services } from "../../../src-main/services";
import { decodeImageBuffer } from "../../../src-main/services/imaging/decode-image";
import { decodeFrame, provideCodecsWasm } from "../../../src-renderer/src/features/viewer/dcmjs-frame-decoder";
import { normalizeDicomBytes } from "../../../src-renderer/src/features/viewer/dicom-normalize";
import { transcodeToExplicitLittleEndian } from "../../../src-shared/imaging/dicom-part10";
import { isImagingError } from "../../../src-shared/imaging/errors";
import { tempServices } from "../../support/vitest-fixtures";
import { truncatedStreams } from "./derived-files";
import { dicomFiles, REPO_ROOT, tempDir } from "./imaging-fixtures";

const SEED = 20240612;
const tmp = tempDir("damaged-");
let services: Services;

beforeAll(() => {
  const wasm = fs.readFileSync(path.join(REPO_ROOT, "node_modules/dcmjs-codecs/build/dcmjs-native-codecs.wasm"));
  provideCodecsWasm(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  services = tempServices("damaged-db-");
});
afterAll(() => {
  services?.close();
  tmp.cleanup();
});

/** xorshift32: deterministic, so a failing mutant can be reproduced from its name. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

interface Mutant {
  readonly name: string;
  readonly bytes: Buffer;
  /** A truncated file: every reader must refuse it. */
  readonly truncated: boolean;
}

function mutants(): Mutant[] {
  const random = rng(SEED);
  const out: Mutant[] = [];
  for (const file of dicomFiles()) {
    const base = path.basename(file, ".dcm");
    const bytes = fs.readFileSync(file);
    const cuts = [
      ...Array.from({ length: 4 }, () => Math.floor(132 + random() * (bytes.length - 133))),
      bytes.length - 1,
    ];
    for (const cut of cuts)
      out.push({ name: `${base}.cut-${cut}.dcm`, bytes: bytes.subarray(0, cut), truncated: true });
    for (let k = 0; k < 2; k++) {
      const start = Math.floor(random() * bytes.length);
      const length = 16 + Math.floor(random() * 4096);
      const zeroed = Buffer.from(bytes);
      zeroed.fill(0, start, Math.min(bytes.length, start + length));
      out.push({ name: `${base}.zero-${start}-${length}.dcm`, bytes: zeroed, truncated: false });
    }
    for (let k = 0; k < 2; k++) {
      const flipped = Buffer.from(bytes);
      const at: number[] = [];
      for (let n = 0; n < 32; n++) {
        const i = Math.floor(random() * bytes.length);
        flipped[i] = (flipped[i] as number) ^ (1 + Math.floor(random() * 255));
        at.push(i);
      }
      out.push({ name: `${base}.flip-${k}-${at[0]}.dcm`, bytes: flipped, truncated: false });
    }
  }
  for (const fraction of [0.3, 0.9]) {
    for (const d of truncatedStreams(fraction)) {
      const name = `${path.basename(d.source, ".dcm")}.stream-cut-${Math.round(fraction * 100)}.dcm`;
      out.push({ name, bytes: d.bytes, truncated: true });
    }
  }
  return out;
}

type Outcome = "decoded" | "refused" | "crash";
const STACK = /\n\s+at\s|\bat\s+\S+\s\(.*:\d+:\d+\)/;

/** A typed refusal is an ImagingError naming the file; a crash is anything else, or one caused by a JS fault. */
function classify(error: unknown, name: string, stacks: string[]): Outcome {
  if (!isImagingError(error)) {
    stacks.push(`${name}: not an ImagingError: ${String(error)}`);
    return "crash";
  }
  if (STACK.test(error.message)) stacks.push(`${name}: ${error.message}`);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof TypeError || cause instanceof RangeError || cause instanceof ReferenceError) return "crash";
  expect(error.path).toBe(name);
  return "refused";
}

test("a seeded mutation test over every shared DICOM file: no crash, no stack trace, every truncated file refused", async () => {
  const all = mutants();
  const tally = {
    engine: { decoded: 0, refused: 0, crash: 0 },
    viewer: { decoded: 0, refused: 0, crash: 0 },
    import: { decoded: 0, refused: 0, crash: 0 },
  };
  const stacks: string[] = [];
  const crashes: string[] = [];
  const truncatedAccepted: string[] = [];
  const decodedBy = { engine: new Set<string>(), viewer: new Set<string>(), import: new Set<string>() };
  const t0 = performance.now();

  for (const m of all) {
    // The engine.
    const engine = await decodeImageBuffer(m.bytes, m.name).then(
      (image): Outcome => {
        expect(image.displayPixels.length).toBe(image.width * image.height);
        return "decoded";
      },
      (e: unknown) => classify(e, m.name, stacks),
    );
    tally.engine[engine]++;
    // The viewer: the renderer's preparation (its worker's transcoding run in process).
    const viewer = await normalizeDicomBytes(Uint8Array.from(m.bytes).buffer, m.name, (b) =>
      transcodeToExplicitLittleEndian(b, decodeFrame, m.name),
    ).then(
      (): Outcome => "decoded",
      (e: unknown) => classify(e, m.name, stacks),
    );
    tally.viewer[viewer]++;
    for (const [who, outcome] of [
      ["engine", engine],
      ["viewer", viewer],
    ] as const) {
      if (outcome === "crash") crashes.push(`${who}: ${m.name}`);
      if (outcome === "decoded") decodedBy[who].add(m.name);
      if (m.truncated && outcome === "decoded") truncatedAccepted.push(`${who}: ${m.name}`);
    }
    fs.writeFileSync(path.join(tmp.dir, m.name), m.bytes);
  }

  // The import, all mutants in one import.
  const result = await services.importer.importPaths([tmp.dir]);
  const reasons = new Map(result.failures.map((f) => [path.basename(f.path), f.reason]));
  for (const m of all) {
    const reason = reasons.get(m.name);
    if (reason === undefined) {
      tally.import.decoded++;
      decodedBy.import.add(m.name);
      if (m.truncated) truncatedAccepted.push(`import: ${m.name}`);
      continue;
    }
    if (STACK.test(reason)) stacks.push(`import ${m.name}: ${reason}`);
    if (/^(unexpected error|could not be stored)|the image cannot be decoded:/.test(reason)) {
      tally.import.crash++;
      crashes.push(`import: ${m.name}: ${reason}`);
    } else tally.import.refused++;
  }
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const truncated = all.filter((m) => m.truncated).length;
  console.log(
    `mutation test (seed ${SEED}): ${all.length} mutants of ${dicomFiles().length} files (${truncated} truncated), ${seconds} s\n` +
      (["engine", "viewer", "import"] as const)
        .map(
          (who) =>
            `  ${who}: ${tally[who].decoded} decoded, ${tally[who].refused} refused, ${tally[who].crash} crashes; truncated refused ${truncated - truncatedAccepted.filter((t) => t.startsWith(`${who}:`)).length}/${truncated}`,
        )
        .join("\n") +
      `\n  stack traces: ${stacks.length}`,
  );
  expect(crashes).toEqual([]);
  expect(stacks).toEqual([]);
  expect(truncatedAccepted).toEqual([]);
  expect(result.imagesAdded).toBe(tally.import.decoded);
  // What imports is what decodes: the three readers accept exactly the same mutants.
  expect([...decodedBy.viewer].sort()).toEqual([...decodedBy.engine].sort());
  expect([...decodedBy.import].sort()).toEqual([...decodedBy.engine].sort());
});
