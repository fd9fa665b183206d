export {
  type DraftOptions,
  draftImpression,
  type ImpressionDraft,
  impressionInputs,
  NoFindingsError,
} from "./impression-drafter";
export {
  IMPRESSION_PACK_FORMAT,
  type ImpressionPack,
  type ImpressionPackManifest,
  loadImpressionPack,
  readImpressionPackManifest,
} from "./impression-pack";
export {
  findImpressionPack,
  IMPRESSION_PACK_ENV,
  type ImpressionModelInfo,
  type ImpressionPackChoice,
  ImpressionService,
} from "./impression-service";
