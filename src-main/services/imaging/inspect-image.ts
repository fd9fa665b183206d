/**
 * inspectImageFile: what the import (and the generate CLI, before it loads a model) knows about a file once it has
 * been read, checksummed and decoded exactly as the engine decodes it — every frame, through the same reader, codecs
 * and supported-input rules. A file that inspects cleanly for "import" is one the engine drafts from and the viewer
 * displays; anything else fails with the ImagingError that names the file and the problem. Runs in the decode pool's
 * worker threads (ImageDecodePool.inspect), so the import never blocks the main event loop.
 */
import crypto from "node:crypto";
import { type ImageFileFormat, readDicomSetup, sniffImageFormat } from "../../../src-shared/imaging/dicom-reader";
import { describeThrown, ImagingError, isImagingError, throwIfAborted } from "../../../src-shared/imaging/errors";
import type { ImageMetadata } from "../../../src-shared/imaging/image-types";
import { checkSupportedImage } from "../../../src-shared/imaging/supported-input";
import type { ImagingConsumer } from "../../../src-shared/imaging/transfer-syntaxes";
import {
  checkPixelLimit,
  notAnImageError,
  parseDicomBytes,
  readImageFileBytes,
  resolveDecodeOptions,
} from "./decode-image";
import { decodeStoredPixels } from "./dicom-pixel-data";
import { readRaster } from "./raster-reader";

export interface InspectImageOptions {
  /** "import": what both the engine and the viewer accept; "engine": what the engine decodes (CLIs). */
  readonly consumer: Extract<ImagingConsumer, "import" | "engine">;
  /** The checksum recorded for this path: when the file still has it, it is not decoded again. */
  readonly knownSha256?: string | null | undefined;
  readonly maxFileBytes?: number | undefined;
  readonly maxPixels?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface ImageInspection {
  readonly kind: "image";
  readonly path: string;
  readonly sha256: string;
  readonly byteLength: number;
  readonly format: ImageFileFormat;
  /** The decoded image's metadata (frame 0): header fields, size, transfer syntax, view attributes. */
  readonly metadata: ImageMetadata;
}

/** The file still has `knownSha256`: nothing was decoded. */
export interface UnchangedImage {
  readonly kind: "unchanged";
  readonly path: string;
  readonly sha256: string;
  readonly byteLength: number;
}

export type InspectResult = ImageInspection | UnchangedImage;

/** Reads, checksums and fully decodes one file. Every failure is an ImagingError naming the file. */
export async function inspectImageFile(path: string, options: InspectImageOptions): Promise<InspectResult> {
  const opts = resolveDecodeOptions(path, {
    maxFileBytes: options.maxFileBytes,
    maxPixels: options.maxPixels,
    signal: options.signal,
  });
  const bytes = await readImageFileBytes(path, opts);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  if (options.knownSha256 && options.knownSha256 === sha256) {
    return { kind: "unchanged", path, sha256, byteLength: bytes.byteLength };
  }
  throwIfAborted(path, opts.signal);
  const format = sniffImageFormat(bytes);
  if (format === null) throw notAnImageError(path);
  try {
    let metadata: ImageMetadata;
    if (format === "png" || format === "jpeg") {
      metadata = (await readRaster(bytes, format, path, opts.maxPixels)).metadata;
    } else {
      const parsed = parseDicomBytes(bytes, path, opts.maxFileBytes, options.consumer);
      const setup = readDicomSetup(parsed, path, 0);
      checkSupportedImage(setup.image, parsed.transferSyntax, options.consumer, path);
      checkPixelLimit(setup.image, opts.maxPixels, path);
      for (let frame = 0; frame < setup.image.numberOfFrames; frame++) {
        throwIfAborted(path, opts.signal);
        await decodeStoredPixels(parsed, setup.image, frame, path);
      }
      metadata = setup.metadata;
    }
    return { kind: "image", path, sha256, byteLength: bytes.byteLength, format, metadata };
  } catch (cause) {
    if (isImagingError(cause)) throw cause;
    throw new ImagingError("CORRUPT_IMAGE", path, `the image cannot be decoded: ${describeThrown(cause)}`, { cause });
  }
}
