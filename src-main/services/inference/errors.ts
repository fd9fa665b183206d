/** Typed failures of the inference engine. Image problems stay ImagingErrors (they name the file). */
import { ImagingError, type SerializedImagingError } from "../imaging";
import { ModelPackError } from "../model-pack";
import type { SerializedFailure } from "./worker-protocol";

export const INFERENCE_ERROR_CODES = [
  /** The study has no image to read. */
  "NO_IMAGES",
  /** The request is malformed (names the field). */
  "INVALID_REQUEST",
  /**
   * The study has several images and none has a known view (no metadata, file name or user choice): frontal and
   * lateral are never taken from the order of the files; the user sets them (names the files).
   */
  "VIEWS_UNKNOWN",
  /** The study is not in the case database, or has no image files. */
  "STUDY_NOT_FOUND",
  /** Cancelled through the AbortSignal (`name === "AbortError"`). */
  "ABORTED",
  /** The engine was closed, or its worker died. */
  "ENGINE_CLOSED",
  "WORKER_FAILED",
  /** onnxruntime failed while running the pack. */
  "MODEL_FAILED",
] as const;
export type InferenceErrorCode = (typeof INFERENCE_ERROR_CODES)[number];

export class InferenceError extends Error {
  readonly code: InferenceErrorCode;
  constructor(code: InferenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = code === "ABORTED" ? "AbortError" : "InferenceError";
    this.code = code;
  }
}

export function abortedError(signal: AbortSignal | undefined, what: string): InferenceError {
  const reason = signal?.reason instanceof Error ? `: ${signal.reason.message}` : "";
  return new InferenceError("ABORTED", `${what} was cancelled${reason}`);
}

export function serializeFailure(error: unknown): SerializedFailure {
  if (error instanceof ImagingError) return error.toJSON();
  if (error instanceof InferenceError)
    return { kind: "Error", name: error.name, message: error.message, code: error.code };
  if (error instanceof ModelPackError)
    return {
      kind: "Error",
      name: error.name,
      message: error.message,
      problems: error.problems,
      packDir: error.packDir,
    };
  if (error instanceof Error) return { kind: "Error", name: error.name, message: error.message };
  return { kind: "Error", name: "Error", message: String(error) };
}

/** Rebuilds a failure posted by the worker: ImagingError, ModelPackError, InferenceError or a plain Error. */
export function deserializeFailure(failure: SerializedFailure): Error {
  if (failure.kind === "ImagingError") return ImagingError.fromJSON(failure as SerializedImagingError);
  if (failure.name === "ModelPackError")
    return new ModelPackError(failure.packDir ?? "", failure.problems ?? [failure.message]);
  if (failure.code !== undefined) {
    const known = (INFERENCE_ERROR_CODES as readonly string[]).includes(failure.code);
    return new InferenceError(known ? (failure.code as InferenceErrorCode) : "MODEL_FAILED", failure.message);
  }
  const error = new Error(failure.message);
  error.name = failure.name;
  return error;
}
