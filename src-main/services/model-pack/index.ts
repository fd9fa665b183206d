export { type BeamSearchOptions, type BeamSearchResult, beamSearch, type DecoderStep } from "./beam-search";
export { type GalleryThumbnails, readGalleryThumbnails } from "./gallery-thumbnails";
export {
  checkCrossModelShapes,
  checkSessionInterface,
  type LoadModelPackOptions,
  loadModelPack,
  type ModelPack,
  ModelPackError,
  type ModelPackSessions,
  type PackGallery,
  readModelPackManifest,
  readPackGallery,
  readScopeCalibration,
  verifyModelPackFiles,
} from "./load-model-pack";
export * from "./manifest-schema";
export {
  type CrossMemory,
  encodeStudy,
  generateTokens,
  nearestGalleryStudy,
  runVisionEncoder,
  studyEmbedding,
  tokensToText,
  type VisionOutput,
} from "./reference-inference";
