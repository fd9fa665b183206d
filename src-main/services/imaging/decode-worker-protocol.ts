/** Messages between ImageDecodePool (main thread) and decode-worker.ts. */
import type { SerializedImagingError } from "../../../src-shared/imaging/errors";
import type { DecodedImage, DecodeImageOptions } from "../../../src-shared/imaging/image-types";
import type { InspectImageOptions, InspectResult } from "./inspect-image";
import type { ViewerCopyOutcome } from "./viewer-copy";

/** Decode options that cross the thread boundary (the AbortSignal stays in the calling thread). */
export type WorkerDecodeOptions = Omit<DecodeImageOptions, "signal">;
export type WorkerInspectOptions = Omit<InspectImageOptions, "signal">;

export type WorkerRequest =
  | { readonly type: "decode"; readonly path: string; readonly options: WorkerDecodeOptions }
  | { readonly type: "inspect"; readonly path: string; readonly options: WorkerInspectOptions }
  | { readonly type: "viewer-copy"; readonly path: string; readonly sha256: string; readonly target: string };

export type PoolToWorkerMessage =
  | ({ readonly id: number } & WorkerRequest)
  | { readonly type: "cancel"; readonly id: number };

export type WorkerToPoolMessage =
  | { readonly type: "result"; readonly id: number; readonly image: DecodedImage }
  | { readonly type: "inspected"; readonly id: number; readonly result: InspectResult }
  | { readonly type: "viewer-copied"; readonly id: number; readonly outcome: ViewerCopyOutcome }
  | {
      readonly type: "error";
      readonly id: number;
      /** An ImagingError, or any other failure as its message. */
      readonly error: SerializedImagingError | { readonly kind: "unexpected"; readonly message: string };
    };

/** The ArrayBuffers of a decoded image, to transfer instead of copy. */
export function transferablesOf(image: DecodedImage): ArrayBuffer[] {
  const buffers = [image.modalityPixels.buffer, image.displayPixels.buffer];
  if (image.paddingMask) buffers.push(image.paddingMask.buffer);
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
