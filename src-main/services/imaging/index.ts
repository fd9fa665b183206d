/**
 * Image input service: DICOM / PNG / JPEG decoding, display rendering, inspection for the import, view
 * classification, worker pool. The DICOM reader, the transfer-syntax table and the supported-input rules it uses are
 * shared with the renderer's viewer: src-shared/imaging/.
 */

export {
  IMAGING_ERROR_CODES,
  ImagingError,
  type ImagingErrorCode,
  isImagingError,
  type SerializedImagingError,
} from "../../../src-shared/imaging/errors";
export type * from "../../../src-shared/imaging/image-types";
export { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_PIXELS } from "../../../src-shared/imaging/image-types";
export { decodeImageBuffer, decodeImageFile } from "./decode-image";
export { defaultPoolSize, defaultWorkerUrl, ImageDecodePool, type ImageDecodePoolOptions } from "./decode-pool";
export { applyWindow } from "./grayscale-pipeline";
export { type ImageInspection, type InspectImageOptions, type InspectResult, inspectImageFile } from "./inspect-image";
export { warmUpCodecs } from "./native-codecs";
export {
  type ClassifyViewsOptions,
  classifyViews,
  type ViewAssignment,
  type ViewClassification,
  type ViewClassificationInput,
  type ViewDecisionSource,
} from "./view-classification";
