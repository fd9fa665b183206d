export { type BeamSearchOptions, type BeamSearchResult, beamSearch, type DecoderStep } from "./beam-search";
export {
  type GalleryThumbnails,
  type GalleryThumbnailsData,
  galleryThumbnails,
  readGalleryThumbnails,
} from "./gallery-thumbnails";
export {
  checkCrossModelShapes,
  checkPackFiles,
  checkSessionInterface,
  galleryFromData,
  type IndexGallery,
  type LoadModelPackOptions,
  loadModelPack,
  type ModelPack,
  ModelPackError,
  type ModelPackSessions,
  type PackGallery,
  type PackGalleryData,
  packGalleryData,
  readModelPackManifest,
  readPackGallery,
  readScopeCalibration,
  verifyModelPackFiles,
} from "./load-model-pack";
export * from "./manifest-schema";
export {
  type CrossMemory,
  createGalleryKernel,
  encodeStudy,
  type GenerateTokensOptions,
  generateTokens,
  type NearestGalleryStudy,
  nearestGalleryStudyWith,
  promptDecisions,
  runVisionEncoder,
  studyEmbedding,
  tokensToText,
  type VisionOutput,
} from "./reference-inference";
