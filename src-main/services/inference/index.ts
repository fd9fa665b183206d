/** Inference engine: model pack in a worker thread, study in, draft report, embedding and similar cases out. */
export {
  findDefaultModelPack,
  type InferenceCore,
  type InferenceCoreOptions,
  InferenceHost,
  type InferenceHostOptions,
  type InferenceStatus,
  MODEL_PACK_ENV,
  type ModelPackChoice,
  startInferenceCore,
  studyImagesFrom,
} from "./engine-host";
export {
  abortedError,
  INFERENCE_ERROR_CODES,
  InferenceError,
  type InferenceErrorCode,
} from "./errors";
export {
  defaultThreads,
  defaultWorkerUrl,
  type EngineInfo,
  type ExecutionProviderName,
  type GeneratedReport,
  type GenerateOptions,
  InferenceEngine,
  type InferenceEngineOptions,
  type StageTimings,
  type StudyEmbeddingResult,
  type StudyImageInput,
  type ViewsUsed,
} from "./inference-engine";
export {
  type GreyImage,
  greyFromDecoded,
  PreprocessingError,
  type PreprocessingSpec,
  preprocessGrey,
  preprocessingSpecFrom,
  type ResizeWeights,
  resizeWeights,
} from "./preprocess";
export {
  buildDisplayCasing,
  type DisplayCasing,
  type DisplayReport,
  displayReport,
  rawReportText,
  reportSections,
} from "./report-text";
