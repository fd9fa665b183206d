/**
 * ImageDecodePool: decoding in worker threads gives the same images as in-thread decoding, the import's inspection
 * gives the same result as in-thread, errors keep their type across the thread boundary, cancellation works for
 * queued and running requests, a dying worker is replaced and idle workers end.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { decodeImageFile } from "../../../src-main/services/imaging/decode-image";
import { defaultWorkerUrl, ImageDecodePool } from "../../../src-main/services/imaging/decode-pool";
import { inspectImageFile } from "../../../src-main/services/imaging/inspect-image";
import { ImagingError, isImagingError } from "../../../src-shared/imaging/errors";
import { DICOM_DIR, dicomFiles, diffStats, rasterFiles } from "../../unit/imaging/imaging-fixtures";

const pool = new ImageDecodePool({ size: 2 });
afterAll(() => pool.close());

const LARGE = path.join(DICOM_DIR, "RG1_CR_chest_J2KI.dcm");
const SMALL = path.join(DICOM_DIR, "CR-MONO1-10-chest_explicitLE.dcm");

test("the default worker entry is the TypeScript source next to the pool when run from source", () => {
  expect(fileURLToPath(defaultWorkerUrl())).toBe(
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../src-main/services/imaging/decode-worker.ts"),
  );
  expect(pool.size).toBe(2);
});

test("every shared DICOM, PNG and JPEG decodes in the workers exactly as in this thread", async () => {
  const files = [...dicomFiles(), ...rasterFiles()];
  const fromPool = await Promise.all(files.map((file) => pool.decode(file)));
  for (const [i, file] of files.entries()) {
    const image = fromPool[i];
    if (!image) throw new Error(`no image for ${file}`);
    const local = await decodeImageFile(file);
    expect(image.metadata).toEqual(local.metadata);
    expect(image.voi).toEqual(local.voi);
    expect(image.displayPixels).toBeInstanceOf(Uint8Array);
    expect(image.modalityPixels).toBeInstanceOf(Float32Array);
    expect(diffStats(image.displayPixels, local.displayPixels).max).toBe(0);
    expect(diffStats(image.modalityPixels, local.modalityPixels).max).toBe(0);
  }
});

test("inspection in the workers gives what it gives in this thread; a known checksum skips the decode", async () => {
  const files = [...dicomFiles(), ...rasterFiles()];
  const fromPool = await Promise.all(files.map((file) => pool.inspect(file, { consumer: "import" })));
  for (const [i, file] of files.entries()) {
    expect(fromPool[i]).toEqual(await inspectImageFile(file, { consumer: "import" }));
  }
  const first = fromPool[0];
  if (first?.kind !== "image") throw new Error("expected an inspected image");
  expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
  const again = await pool.inspect(first.path, { consumer: "import", knownSha256: first.sha256 });
  expect(again).toEqual({ kind: "unchanged", path: first.path, sha256: first.sha256, byteLength: first.byteLength });
});

test("idle workers end after idleTimeoutMs, and the next request starts one", async () => {
  const brief = new ImageDecodePool({ size: 1, idleTimeoutMs: 50 });
  try {
    await brief.decode(SMALL);
    expect(brief.workers).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(brief.workers).toBe(0);
    expect((await brief.decode(SMALL)).width).toBe(440);
  } finally {
    await brief.close();
  }
});

test("typed errors cross the thread boundary", async () => {
  const missing = path.join(DICOM_DIR, "missing.dcm");
  const error = await pool.decode(missing).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ImagingError);
  expect(error).toMatchObject({ code: "NOT_FOUND", path: missing });
  await expect(pool.decode(SMALL, { maxPixels: 10 })).rejects.toMatchObject({ code: "TOO_LARGE" });
  // Options are validated before anything is posted.
  await expect(pool.decode(SMALL, { window: { center: 1, width: -1 } })).rejects.toMatchObject({
    code: "INVALID_OPTIONS",
  });
});

describe("cancellation", () => {
  test("an already aborted signal rejects without decoding", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await pool.decode(SMALL, { signal: controller.signal }).catch((e: unknown) => e);
    expect(isImagingError(error, "ABORTED")).toBe(true);
    expect((error as Error).name).toBe("AbortError");
  });

  test("a queued request is dropped; a running one rejects at once and the pool keeps working", async () => {
    const single = new ImageDecodePool({ size: 1 });
    try {
      const running = new AbortController();
      const queued = new AbortController();
      const first = single.decode(LARGE, { signal: running.signal });
      const second = single.decode(SMALL, { signal: queued.signal });
      const third = single.decode(SMALL);
      expect(single.running).toBe(1);
      expect(single.queued).toBe(2);
      queued.abort();
      expect(single.queued).toBe(1);
      await expect(second).rejects.toMatchObject({ code: "ABORTED", name: "AbortError" });
      running.abort();
      await expect(first).rejects.toMatchObject({ code: "ABORTED", path: LARGE });
      // The next request still decodes, after the worker has finished or dropped the cancelled one.
      const image = await third;
      expect([image.width, image.height]).toEqual([440, 440]);
      expect(single.running).toBe(0);
    } finally {
      await single.close();
    }
  });
});

test("closing the pool fails pending requests and refuses new ones", async () => {
  const closing = new ImageDecodePool({ size: 1 });
  const outcomes = [closing.decode(LARGE), closing.decode(SMALL)].map((p) => p.catch((e: unknown) => e));
  await closing.close();
  for (const outcome of await Promise.all(outcomes)) expect(outcome).toMatchObject({ code: "WORKER_FAILED" });
  await expect(closing.decode(SMALL)).rejects.toMatchObject({ code: "WORKER_FAILED" });
});

test("a worker that dies fails its request with WORKER_FAILED, and the next request gets a new worker", async () => {
  const dying = new ImageDecodePool({ size: 1, workerUrl: new URL("./exiting-worker.mjs", import.meta.url) });
  try {
    const first = await dying.decode(SMALL).catch((e: unknown) => e);
    expect(first).toMatchObject({ code: "WORKER_FAILED", path: SMALL });
    expect((first as ImagingError).reason).toContain("exited with code 3");
    const second = await dying.decode(SMALL).catch((e: unknown) => e);
    expect(second).toMatchObject({ code: "WORKER_FAILED" });
  } finally {
    await dying.close();
  }
});

test("the option to set the pool size is validated", () => {
  expect(() => new ImageDecodePool({ size: 0 })).toThrow(/size/);
  expect(() => new ImageDecodePool({ size: 1.5 })).toThrow(/size/);
});
