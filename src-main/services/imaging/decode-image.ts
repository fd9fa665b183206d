/**
 * decodeImageFile: one file in (DICOM of any supported transfer syntax, PNG or JPEG), modality values and an 8-bit
 * display rendering out. Runs in the calling thread; ImageDecodePool runs it (and the import's inspectImageFile) in
 * worker threads.
 */
import fs from "node:fs";
import { open, readFile, stat } from "node:fs/promises";
import nodePath from "node:path";
import zlib from "node:zlib";
import { z } from "zod";
import {
  type ImageFileFormat,
  type ParsedDicom,
  type ParseOptions,
  parseDicom,
  readDicomSetup,
  SNIFF_BYTES,
  sniffImageFormat,
} from "../../../src-shared/imaging/dicom-reader";
import {
  abortedError,
  describeThrown,
  ImagingError,
  isImagingError,
  throwIfAborted,
} from "../../../src-shared/imaging/errors";
import {
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_PIXELS,
  type DecodedImage,
  type DecodeImageOptions,
  type UserWindow,
} from "../../../src-shared/imaging/image-types";
import type { ImagingConsumer } from "../../../src-shared/imaging/transfer-syntaxes";
import { decodeStoredFrame } from "./dicom-pixel-data";
import { renderGrayscale, windowProblem } from "./grayscale-pipeline";
import { readRaster } from "./raster-reader";

const OptionsSchema = z.object({
  frame: z.number().int().nonnegative().optional(),
  window: z
    .object({
      center: z.number().refine(Number.isFinite, "must be a finite number"),
      width: z.number().refine(Number.isFinite, "must be a finite number"),
      function: z.enum(["LINEAR", "LINEAR_EXACT", "SIGMOID"]).optional(),
    })
    .optional(),
  maxFileBytes: z.number().int().positive().optional(),
  maxPixels: z.number().int().positive().optional(),
  minLongSide: z.number().int().positive().optional(),
  blockingRead: z.boolean().optional(),
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, "must be an AbortSignal").optional(),
});

export interface ResolvedOptions {
  readonly frame: number;
  readonly window: UserWindow | undefined;
  readonly maxFileBytes: number;
  readonly maxPixels: number;
  readonly minLongSide: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly blockingRead: boolean;
}

/** Validates decode options; throws INVALID_OPTIONS naming the problem. */
export function resolveDecodeOptions(path: string, options: unknown): ResolvedOptions {
  const parsed = OptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "options";
    throw new ImagingError("INVALID_OPTIONS", path, `invalid decode option ${where}: ${issue?.message ?? "invalid"}`);
  }
  const o = parsed.data;
  if (o.window) {
    const problem = windowProblem(o.window);
    if (problem) throw new ImagingError("INVALID_OPTIONS", path, `invalid decode option window: ${problem}`);
  }
  return {
    frame: o.frame ?? 0,
    window: o.window,
    maxFileBytes: o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    maxPixels: o.maxPixels ?? DEFAULT_MAX_PIXELS,
    minLongSide: o.minLongSide,
    signal: o.signal,
    blockingRead: o.blockingRead ?? false,
  };
}

/** Refuses an image with more pixels than `maxPixels` (TOO_LARGE). */
export function checkPixelLimit(image: { rows: number; columns: number }, maxPixels: number, path: string): void {
  const pixels = image.rows * image.columns;
  if (pixels > maxPixels) {
    throw new ImagingError(
      "TOO_LARGE",
      path,
      `the image is ${image.columns}x${image.rows} = ${pixels} pixels, more than the limit of ${maxPixels}`,
    );
  }
}

/** Raw deflate through node:zlib, capped at `maxBytes` (a deflate bomb fails as TOO_LARGE). */
export function nodeInflateRaw(deflated: Uint8Array, maxBytes: number, path: string): Uint8Array {
  try {
    return zlib.inflateRawSync(deflated, { maxOutputLength: maxBytes });
  } catch (cause) {
    if ((cause as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new ImagingError(
        "TOO_LARGE",
        path,
        `the deflated data set inflates to more than ${maxBytes} bytes (limit maxFileBytes)`,
      );
    }
    throw new ImagingError(
      "CORRUPT_DICOM",
      path,
      `the deflated data set cannot be inflated (${describeThrown(cause)}); the file is truncated or corrupt`,
    );
  }
}

/** Parses a DICOM file in the main process (deflate through node:zlib). */
export function parseDicomBytes(
  bytes: Uint8Array,
  path: string,
  maxInflatedBytes: number,
  consumer: ImagingConsumer = "engine",
): ParsedDicom {
  const options: ParseOptions = { consumer, maxInflatedBytes, inflateRaw: nodeInflateRaw };
  return parseDicom(bytes, path, options);
}

/** The error for bytes that are neither DICOM nor PNG / JPEG (a file named .png/.jpg says what it should be). */
export function notAnImageError(path: string): ImagingError {
  const ext = nodePath.extname(path).toLowerCase();
  if (ext === ".png" || ext === ".jpg" || ext === ".jpeg") {
    return new ImagingError(
      "CORRUPT_IMAGE",
      path,
      `the file is named ${ext} but does not start with a ${ext === ".png" ? "PNG" : "JPEG"} signature`,
    );
  }
  return new ImagingError(
    "NOT_DICOM",
    path,
    'the file is not DICOM (no "DICM" prefix at byte 128 and no recognisable data set) and not a PNG or JPEG image',
  );
}

/** Reads a whole image file within the size limit. Every failure is an ImagingError naming the file. */
export async function readImageFileBytes(
  path: string,
  opts: Pick<ResolvedOptions, "maxFileBytes" | "signal"> & { blockingRead?: boolean },
): Promise<Buffer> {
  let size: number;
  try {
    const info = opts.blockingRead ? fs.statSync(path) : await stat(path);
    if (!info.isFile()) throw new ImagingError("NOT_A_FILE", path, "the path is not a regular file");
    size = info.size;
  } catch (cause) {
    if (isImagingError(cause)) throw cause;
    throw fileSystemError(path, cause);
  }
  if (size === 0) throw new ImagingError("EMPTY_FILE", path, "the file is empty (0 bytes)");
  if (size > opts.maxFileBytes) {
    throw new ImagingError("TOO_LARGE", path, `the file is ${size} bytes, more than the limit of ${opts.maxFileBytes}`);
  }
  try {
    if (opts.blockingRead) return fs.readFileSync(path);
    return await readFile(path, opts.signal ? { signal: opts.signal } : {});
  } catch (cause) {
    if ((cause as { name?: string }).name === "AbortError") throw abortedError(path, opts.signal);
    throw fileSystemError(path, cause);
  }
}

/**
 * The image format of a file from its first bytes (sniffImageFormat): "dicom", "png", "jpeg" or null. Throws the
 * file system's error when the file cannot be read.
 */
export async function sniffImageFile(path: string): Promise<ImageFileFormat | null> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    const head = new Uint8Array(Math.min(size, Math.max(SNIFF_BYTES, 4096)));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffImageFormat(head.subarray(0, bytesRead), size);
  } finally {
    await handle.close();
  }
}

/** Reads and decodes an image file. Every failure is an ImagingError naming the file. */
export async function decodeImageFile(path: string, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  if (typeof path !== "string" || path.length === 0) {
    throw new ImagingError("INVALID_OPTIONS", String(path), "no file path was given");
  }
  const opts = resolveDecodeOptions(path, options);
  throwIfAborted(path, opts.signal);
  const t0 = performance.now();
  const bytes = await readImageFileBytes(path, opts);
  return decodeWithOptions(bytes, path, opts, performance.now() - t0, t0);
}

/** Decodes an image already in memory; `name` is used in errors and as metadata.sourcePath. */
export async function decodeImageBuffer(
  bytes: Uint8Array,
  name: string,
  options: DecodeImageOptions = {},
): Promise<DecodedImage> {
  const opts = resolveDecodeOptions(name, options);
  throwIfAborted(name, opts.signal);
  if (bytes.length === 0) throw new ImagingError("EMPTY_FILE", name, "the image is empty (0 bytes)");
  if (bytes.length > opts.maxFileBytes) {
    throw new ImagingError(
      "TOO_LARGE",
      name,
      `the image is ${bytes.length} bytes, more than the limit of ${opts.maxFileBytes}`,
    );
  }
  return decodeWithOptions(bytes, name, opts, 0, performance.now());
}

export function fileSystemError(path: string, cause: unknown): ImagingError {
  const code = (cause as { code?: string }).code;
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new ImagingError("NOT_FOUND", path, "the file does not exist", { cause });
  }
  if (code === "EISDIR") return new ImagingError("NOT_A_FILE", path, "the path is a folder, not a file", { cause });
  return new ImagingError("READ_FAILED", path, `the file cannot be read (${code ?? describeThrown(cause)})`, { cause });
}

/** decodeBytes, with anything that is not an ImagingError turned into one naming the file. */
async function decodeWithOptions(...args: Parameters<typeof decodeBytes>): Promise<DecodedImage> {
  const path = args[1];
  try {
    return await decodeBytes(...args);
  } catch (cause) {
    if (isImagingError(cause)) throw cause;
    // Anything else is a defect or an input the readers did not anticipate: still a typed error naming the file.
    throw new ImagingError("CORRUPT_IMAGE", path, `the image cannot be decoded: ${describeThrown(cause)}`, { cause });
  }
}

async function decodeBytes(
  bytes: Uint8Array,
  path: string,
  opts: ResolvedOptions,
  readMs: number,
  t0: number,
): Promise<DecodedImage> {
  throwIfAborted(path, opts.signal);
  const format = sniffImageFormat(bytes);
  if (format === "png" || format === "jpeg") {
    if (opts.frame !== 0) {
      throw new ImagingError("FRAME_OUT_OF_RANGE", path, `frame ${opts.frame} was requested but the image has 1 frame`);
    }
    const raster = await readRaster(bytes, format, path, opts.maxPixels);
    throwIfAborted(path, opts.signal);
    const t1 = performance.now();
    const out = renderGrayscale({
      stored: raster.stored,
      modality: { kind: "rescale", slope: 1, intercept: 0 },
      padding: null,
      voi: { user: opts.window, fileWindows: [], identityWhenNoVoi: raster.bits === 8 },
      invert: false,
    });
    const renderMs = performance.now() - t1;
    return {
      metadata: raster.metadata,
      width: raster.metadata.width,
      height: raster.metadata.height,
      ...out,
      timings: {
        readMs,
        parseMs: raster.parseMs,
        decodeMs: raster.decodeMs,
        renderMs,
        totalMs: performance.now() - t0,
      },
    };
  }

  if (format === null) throw notAnImageError(path);

  const tParse = performance.now();
  const parsed = parseDicomBytes(bytes, path, opts.maxFileBytes);
  const setup = readDicomSetup(parsed, path, opts.frame);
  checkPixelLimit(setup.image, opts.maxPixels, path);
  throwIfAborted(path, opts.signal);
  const tDecode = performance.now();
  const stored = await decodeStoredFrame(parsed, setup.image, opts.frame, path, opts.minLongSide);
  throwIfAborted(path, opts.signal);
  const tRender = performance.now();
  const out = renderGrayscale({
    stored: stored.values,
    modality: setup.modality,
    padding: setup.padding,
    voi: { ...setup.voi, user: opts.window },
    invert: setup.invert,
  });
  const tEnd = performance.now();
  return {
    metadata: setup.metadata,
    width: stored.width,
    height: stored.height,
    ...(stored.level > 0 ? { resolutionLevel: stored.level } : {}),
    ...out,
    timings: {
      readMs,
      parseMs: tDecode - tParse,
      decodeMs: tRender - tDecode,
      renderMs: tEnd - tRender,
      totalMs: tEnd - t0,
    },
  };
}
