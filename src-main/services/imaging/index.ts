/** Image input service: DICOM / PNG / JPEG decoding, display rendering, view classification, worker pool. */
export { decodeImageBuffer, decodeImageFile } from "./decode-image";
export { defaultPoolSize, defaultWorkerUrl, ImageDecodePool, type ImageDecodePoolOptions } from "./decode-pool";
export {
  IMAGING_ERROR_CODES,
  ImagingError,
  type ImagingErrorCode,
  isImagingError,
  type SerializedImagingError,
} from "./errors";
export { applyWindow } from "./grayscale-pipeline";
export { supportedTransferSyntaxes, type TransferSyntaxInfo, transferSyntaxInfo } from "./transfer-syntax";
export type * from "./types";
export { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PIXELS } from "./types";
export {
  type ClassifyViewsOptions,
  classifyViews,
  type ViewAssignment,
  type ViewClassification,
  type ViewClassificationInput,
  type ViewDecisionSource,
} from "./view-classification";
