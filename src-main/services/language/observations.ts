export {
  CHEXPERT_OBSERVATIONS,
  type LabelValue,
  type LabelVector,
  type ObservationName,
} from "../../../src-shared/observations";

import { CHEXPERT_OBSERVATIONS } from "../../../src-shared/observations";

export const OBSERVATION_COUNT = CHEXPERT_OBSERVATIONS.length;
