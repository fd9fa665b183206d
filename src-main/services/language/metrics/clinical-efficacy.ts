/**
 * Clinical efficacy: the clinical labeler run on generated and reference reports, then precision, recall and F1
 * of the positive findings (label 1 = mentioned as present; negative, uncertain and unmentioned all count as
 * "not positive"). Micro: counts pooled over the 14 observations; macro: mean of the per-observation F1, where
 * an observation with no true positive, false positive or false negative scores F1 = 0 (scikit-learn's
 * zero_division default). Pure: no Node imports.
 */
import { labelReport } from "../clinical-labeler";
import { CHEXPERT_OBSERVATIONS, type LabelVector, type ObservationName } from "../observations";

export interface ObservationEfficacy {
  observation: ObservationName;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ClinicalEfficacy {
  precision: number;
  recall: number;
  f1: number;
  macro_f1: number;
  perObservation: ObservationEfficacy[];
}

const ratio = (numerator: number, denominator: number) => (denominator > 0 ? numerator / denominator : 0);
const harmonic = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);

/** Precision/recall/F1 from label vectors (positive = 1). */
export function clinicalEfficacyFromLabels(
  pairs: readonly { hypothesis: LabelVector; reference: LabelVector }[],
): ClinicalEfficacy {
  const perObservation: ObservationEfficacy[] = CHEXPERT_OBSERVATIONS.map((observation, index) => {
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;
    for (const { hypothesis, reference } of pairs) {
      const predicted = hypothesis[index] === 1;
      const actual = reference[index] === 1;
      if (predicted && actual) truePositives++;
      else if (predicted) falsePositives++;
      else if (actual) falseNegatives++;
    }
    const precision = ratio(truePositives, truePositives + falsePositives);
    const recall = ratio(truePositives, truePositives + falseNegatives);
    return {
      observation,
      truePositives,
      falsePositives,
      falseNegatives,
      precision,
      recall,
      f1: harmonic(precision, recall),
    };
  });
  const tp = perObservation.reduce((total, o) => total + o.truePositives, 0);
  const fp = perObservation.reduce((total, o) => total + o.falsePositives, 0);
  const fn = perObservation.reduce((total, o) => total + o.falseNegatives, 0);
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  const macro_f1 = perObservation.reduce((total, o) => total + o.f1, 0) / perObservation.length;
  return { precision, recall, f1: harmonic(precision, recall), macro_f1, perObservation };
}

/** Label both sides with the clinical labeler and score. */
export function clinicalEfficacy(pairs: readonly { hypothesis: string; reference: string }[]): ClinicalEfficacy {
  return clinicalEfficacyFromLabels(
    pairs.map(({ hypothesis, reference }) => ({
      hypothesis: labelReport(hypothesis).labels,
      reference: labelReport(reference).labels,
    })),
  );
}
