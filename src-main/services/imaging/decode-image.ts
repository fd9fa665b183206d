/**
 * decodeImageFile: one file in (DICOM of any supported transfer syntax, PNG or JPEG), modality values and an 8-bit
 * display rendering out. Runs in the calling thread; ImageDecodePool runs it in worker threads.
 */
import { readFile, stat } from "node:fs/promises";
import nodePath from "node:path";
import { z } from "zod";
import { decodeStoredPixels } from "./dicom-pixel-data";
import { parseDicom, readDicomSetup, sniffDicom } from "./dicom-reader";
import { abortedError, describeThrown, ImagingError, isImagingError, throwIfAborted } from "./errors";
import { renderGrayscale, windowProblem } from "./grayscale-pipeline";
import { readRaster } from "./raster-reader";
import {
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_PIXELS,
  type DecodedImage,
  type DecodeImageOptions,
  type UserWindow,
} from "./types";

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
  signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, "must be an AbortSignal").optional(),
});

interface ResolvedOptions {
  readonly frame: number;
  readonly window: UserWindow | undefined;
  readonly maxFileBytes: number;
  readonly maxPixels: number;
  readonly signal: AbortSignal | undefined;
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
    signal: o.signal,
  };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Reads and decodes an image file. Every failure is an ImagingError naming the file. */
export async function decodeImageFile(path: string, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  if (typeof path !== "string" || path.length === 0) {
    throw new ImagingError("INVALID_OPTIONS", String(path), "no file path was given");
  }
  const opts = resolveDecodeOptions(path, options);
  throwIfAborted(path, opts.signal);
  const t0 = performance.now();

  let size: number;
  try {
    const info = await stat(path);
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
  let bytes: Buffer;
  try {
    bytes = await readFile(path, opts.signal ? { signal: opts.signal } : {});
  } catch (cause) {
    if ((cause as { name?: string }).name === "AbortError") throw abortedError(path, opts.signal);
    throw fileSystemError(path, cause);
  }
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

function fileSystemError(path: string, cause: unknown): ImagingError {
  const code = (cause as { code?: string }).code;
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new ImagingError("NOT_FOUND", path, "the file does not exist", { cause });
  }
  if (code === "EISDIR") return new ImagingError("NOT_A_FILE", path, "the path is a folder, not a file", { cause });
  return new ImagingError("READ_FAILED", path, `the file cannot be read (${code ?? describeThrown(cause)})`, { cause });
}

async function decodeWithOptions(
  bytes: Uint8Array,
  path: string,
  opts: ResolvedOptions,
  readMs: number,
  t0: number,
): Promise<DecodedImage> {
  try {
    return await decodeBytes(bytes, path, opts, readMs, t0);
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
  if (isPng(bytes) || isJpeg(bytes)) {
    if (opts.frame !== 0) {
      throw new ImagingError("FRAME_OUT_OF_RANGE", path, `frame ${opts.frame} was requested but the image has 1 frame`);
    }
    const raster = await readRaster(bytes, isPng(bytes) ? "png" : "jpeg", path, opts.maxPixels);
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

  const sniff = sniffDicom(bytes);
  if (!sniff) {
    const ext = nodePath.extname(path).toLowerCase();
    if (ext === ".png" || ext === ".jpg" || ext === ".jpeg") {
      throw new ImagingError(
        "CORRUPT_IMAGE",
        path,
        `the file is named ${ext} but does not start with a ${ext === ".png" ? "PNG" : "JPEG"} signature`,
      );
    }
    throw new ImagingError(
      "NOT_DICOM",
      path,
      'the file is not DICOM (no "DICM" prefix at byte 128 and no recognisable data set) and not a PNG or JPEG image',
    );
  }

  const tParse = performance.now();
  const parsed = parseDicom(bytes, sniff, path, { maxInflatedBytes: opts.maxFileBytes });
  const setup = readDicomSetup(parsed, path, opts.frame);
  const pixels = setup.image.rows * setup.image.columns;
  if (pixels > opts.maxPixels) {
    throw new ImagingError(
      "TOO_LARGE",
      path,
      `the image is ${setup.image.columns}x${setup.image.rows} = ${pixels} pixels, more than the limit of ${opts.maxPixels}`,
    );
  }
  throwIfAborted(path, opts.signal);
  const tDecode = performance.now();
  const stored = await decodeStoredPixels(parsed, setup.image, opts.frame, path);
  throwIfAborted(path, opts.signal);
  const tRender = performance.now();
  const out = renderGrayscale({
    stored,
    modality: setup.modality,
    padding: setup.padding,
    voi: { ...setup.voi, user: opts.window },
    invert: setup.invert,
  });
  const tEnd = performance.now();
  return {
    metadata: setup.metadata,
    width: setup.image.columns,
    height: setup.image.rows,
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
