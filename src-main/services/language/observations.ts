export {
  CHEXPERT_OBSERVATIONS,
  type LabelValue,
  type ObservationName,
} from "../../../src-shared/observations";

import { CHEXPERT_OBSERVATIONS, type LabelValue } from "../../../src-shared/observations";

/** One value per observation, in CHEXPERT_OBSERVATIONS order. */
export type LabelVector = LabelValue[];

export const OBSERVATION_COUNT = CHEXPERT_OBSERVATIONS.length;
