/**
 * Typed failures of the image input (the main process's imaging service, the import and the renderer's viewer all
 * throw these). Every failure names the file and says why in words a user can act on; `code` is stable and meant for
 * programs (UI messages, CLI exit handling, tests). No Node or DOM APIs here.
 */

export const IMAGING_ERROR_CODES = [
  /** The path does not exist. */
  "NOT_FOUND",
  /** The path exists but is not a regular file (a folder, a device...). */
  "NOT_A_FILE",
  /** The file could not be read (permissions, I/O error). */
  "READ_FAILED",
  /** The file has zero bytes. */
  "EMPTY_FILE",
  /** The file or its image is larger than the configured limits (bytes, pixels, inflated size). */
  "TOO_LARGE",
  /** The content is not DICOM and not a PNG or JPEG either (checked by content, not by extension). */
  "NOT_DICOM",
  /** A file named as PNG/JPEG (or with PNG/JPEG signature) that cannot be decoded. */
  "CORRUPT_IMAGE",
  /** A DICOM file whose data set cannot be parsed (truncated header, broken element lengths). */
  "CORRUPT_DICOM",
  /** A DICOM file without the attributes an image needs (Pixel Data, Rows, Columns, ...). */
  "MISSING_ATTRIBUTE",
  /** A transfer syntax this service cannot decode (bogus UID, video, JPIP, ...). */
  "UNSUPPORTED_TRANSFER_SYNTAX",
  /** A pixel layout this service does not handle (1-bit, float pixel data, odd bit depths, > 4 samples). */
  "UNSUPPORTED_PIXEL_FORMAT",
  /** A photometric interpretation this service does not handle (PALETTE COLOR, YBR_ICT outside JPEG 2000, ...). */
  "UNSUPPORTED_PHOTOMETRIC",
  /** Pixel data that is truncated, of the wrong length, or that the codec rejects. */
  "CORRUPT_PIXEL_DATA",
  /** The requested frame is not in the file. */
  "FRAME_OUT_OF_RANGE",
  /** The options passed to the decoder are invalid (window width <= 0, negative limits, ...). */
  "INVALID_OPTIONS",
  /** The WebAssembly codecs could not be loaded. */
  "CODEC_UNAVAILABLE",
  /** The request was cancelled through its AbortSignal. */
  "ABORTED",
  /** A decode worker died while decoding (out of memory, crash) or the pool was closed. */
  "WORKER_FAILED",
] as const;

export type ImagingErrorCode = (typeof IMAGING_ERROR_CODES)[number];

/** Plain-object form of an ImagingError, safe to post between threads or send over IPC. */
export interface SerializedImagingError {
  readonly kind: "ImagingError";
  readonly code: ImagingErrorCode;
  readonly path: string;
  readonly reason: string;
}

export class ImagingError extends Error {
  readonly code: ImagingErrorCode;
  /** The file the failure is about (as given by the caller). */
  readonly path: string;
  /** Why, in words, without the path (the message has both). */
  readonly reason: string;

  constructor(code: ImagingErrorCode, path: string, reason: string, options?: { cause?: unknown }) {
    super(`${path}: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    // Cancellations look like DOM AbortErrors (err.name === "AbortError") so generic abort handling recognises them.
    this.name = code === "ABORTED" ? "AbortError" : "ImagingError";
    this.code = code;
    this.path = path;
    this.reason = reason;
  }

  toJSON(): SerializedImagingError {
    return { kind: "ImagingError", code: this.code, path: this.path, reason: this.reason };
  }

  static fromJSON(value: SerializedImagingError): ImagingError {
    return new ImagingError(value.code, value.path, value.reason);
  }
}

export function isImagingError(value: unknown, code?: ImagingErrorCode): value is ImagingError {
  return value instanceof ImagingError && (code === undefined || value.code === code);
}

export function isSerializedImagingError(value: unknown): value is SerializedImagingError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.kind === "ImagingError" &&
    typeof v.code === "string" &&
    (IMAGING_ERROR_CODES as readonly string[]).includes(v.code) &&
    typeof v.path === "string" &&
    typeof v.reason === "string"
  );
}

/** The error a cancelled request rejects with. */
export function abortedError(path: string, signal?: AbortSignal): ImagingError {
  const why = signal?.reason instanceof Error ? `: ${signal.reason.message}` : "";
  return new ImagingError("ABORTED", path, `decoding was cancelled${why}`);
}

export function throwIfAborted(path: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(path, signal);
}

/** Text of any thrown value (dicom-parser throws strings and plain objects). */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "exception" in value) {
    return describeThrown((value as { exception: unknown }).exception);
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
