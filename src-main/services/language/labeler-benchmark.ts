/**
 * Agreement of the clinical labeler with reference labels (four-way: 1 / 0 / -1 / not mentioned), per
 * observation. Pure: no Node imports.
 */
import { labelReport } from "./clinical-labeler";
import { CHEXPERT_OBSERVATIONS, type LabelValue, type LabelVector, type ObservationName } from "./observations";

export interface ObservationAgreement {
  observation: ObservationName;
  agreement: number;
  agreed: number;
  total: number;
  /** confusion[reference][predicted] with keys "1", "0", "-1", "blank". */
  confusion: Record<string, Record<string, number>>;
}

export interface LabelerAgreement {
  reports: number;
  perObservation: ObservationAgreement[];
  /** Share of reports whose 14 values all agree. */
  exactMatch: number;
  minimum: number;
}

export const LABEL_KEYS = ["1", "0", "-1", "blank"] as const;

export function labelKey(value: LabelValue): (typeof LABEL_KEYS)[number] {
  return value === null ? "blank" : (String(value) as "1" | "0" | "-1");
}

/** Compare labeler output with reference label vectors. `predict` defaults to labelReport on the text. */
export function measureLabelerAgreement(
  items: readonly { report: string; labels: LabelVector }[],
  predict: (report: string) => LabelVector = (report) => labelReport(report).labels,
): LabelerAgreement {
  const perObservation: ObservationAgreement[] = CHEXPERT_OBSERVATIONS.map((observation) => ({
    observation,
    agreement: 0,
    agreed: 0,
    total: 0,
    confusion: Object.fromEntries(LABEL_KEYS.map((k) => [k, Object.fromEntries(LABEL_KEYS.map((p) => [p, 0]))])),
  }));
  let exact = 0;
  for (const item of items) {
    const predicted = predict(item.report);
    let all = true;
    CHEXPERT_OBSERVATIONS.forEach((_, index) => {
      const entry = perObservation[index]!;
      const reference = item.labels[index] ?? null;
      const value = predicted[index] ?? null;
      entry.total++;
      entry.confusion[labelKey(reference)]![labelKey(value)]!++;
      if (reference === value) entry.agreed++;
      else all = false;
    });
    if (all) exact++;
  }
  for (const entry of perObservation) entry.agreement = entry.total ? entry.agreed / entry.total : 0;
  return {
    reports: items.length,
    perObservation,
    exactMatch: items.length ? exact / items.length : 0,
    minimum: Math.min(...perObservation.map((entry) => entry.agreement)),
  };
}
