/**
 * Clinical consistency of an impression with its findings, decided by the toolkit's labeler (clinical-labeler.ts).
 * Pure: no Node imports.
 *
 * A contradiction is either
 * - "negated": the impression names an observation as present (label 1) that the findings negate (label 0), or
 * - "normal-despite-acute": the impression calls the study normal (its No Finding label is 1: nothing positive or
 *   uncertain in it) while the findings name an acute finding: one of ACUTE_OBSERVATIONS labelled 1 (present, not
 *   uncertain). Chronic or incidental findings (cardiomegaly, granuloma, scarring, degenerative change, old
 *   fractures, devices, atelectasis) do not make "no acute cardiopulmonary abnormality" a contradiction.
 *
 * `makeImpressionConsistent` is the drafter's consistency step on the model's text (cleaned tokens, sentences
 * separated by " . "): it drops sentences that contradict the findings, and when the rest would still call the
 * study normal despite an acute finding it puts the findings' sentences that name it in their place.
 */
import { labelReport } from "./clinical-labeler";
import { CHEXPERT_OBSERVATIONS, type LabelVector, type ObservationName } from "./observations";

export const ACUTE_OBSERVATIONS: readonly ObservationName[] = [
  "Edema",
  "Consolidation",
  "Pneumonia",
  "Pneumothorax",
  "Pleural Effusion",
];

const NO_FINDING = CHEXPERT_OBSERVATIONS.indexOf("No Finding");
const ACUTE_INDEXES = ACUTE_OBSERVATIONS.map((name) => CHEXPERT_OBSERVATIONS.indexOf(name));

export interface ImpressionContradiction {
  kind: "negated" | "normal-despite-acute";
  observation: ObservationName;
}

/** The acute observations the findings name as present. */
export function acuteFindings(findingsLabels: LabelVector): ObservationName[] {
  return ACUTE_INDEXES.filter((i) => findingsLabels[i] === 1).map((i) => CHEXPERT_OBSERVATIONS[i]!);
}

function contradictionsOfLabels(impression: LabelVector, findings: LabelVector): ImpressionContradiction[] {
  const out: ImpressionContradiction[] = [];
  for (let i = 0; i < CHEXPERT_OBSERVATIONS.length; i++) {
    if (i !== NO_FINDING && impression[i] === 1 && findings[i] === 0)
      out.push({ kind: "negated", observation: CHEXPERT_OBSERVATIONS[i]! });
  }
  if (impression[NO_FINDING] === 1) {
    for (const observation of acuteFindings(findings)) out.push({ kind: "normal-despite-acute", observation });
  }
  return out;
}

/** Every contradiction between an impression and the findings it summarises (raw or cleaned text). */
export function impressionContradictions(findings: string, impression: string): ImpressionContradiction[] {
  return contradictionsOfLabels(labelReport(impression).labels, labelReport(findings).labels);
}

/** Sentences of cleaned text ("a b . c d ." -> ["a b", "c d"]). */
function cleanSentences(text: string): string[] {
  return text
    .split(/\s*(?:^|\s)\.(?:\s|$)\s*/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s !== ".");
}

export interface ConsistencyResult {
  /** The impression after the step, in the same (cleaned) form, sentences ending with " ." */
  text: string;
  dropped: string[];
  added: string[];
}

/**
 * The consistency step: `impression` and `findings` are cleaned text (R2Gen cleaning, " . " separators), as the
 * model reads and writes them.
 */
export function makeImpressionConsistent(findings: string, impression: string): ConsistencyResult {
  const findingsLabels = labelReport(findings).labels;
  const acute = acuteFindings(findingsLabels);
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const sentence of cleanSentences(impression)) {
    const labels = labelReport(sentence).labels;
    const negated = labels.some((v, i) => i !== NO_FINDING && v === 1 && findingsLabels[i] === 0);
    const callsNormal =
      acute.length > 0 && labels[NO_FINDING] === 1 && labels.every((v, i) => i === NO_FINDING || v === null);
    if (negated || callsNormal) dropped.push(sentence);
    else kept.push(sentence);
  }
  const added: string[] = [];
  const stillNormal = () => labelReport(kept.join(" . ")).labels[NO_FINDING] === 1 || kept.length === 0;
  if (acute.length > 0 && stillNormal()) {
    const acuteIndexes = acute.map((name) => CHEXPERT_OBSERVATIONS.indexOf(name));
    for (const sentence of cleanSentences(findings)) {
      const labels = labelReport(sentence).labels;
      if (acuteIndexes.some((i) => labels[i] === 1)) added.push(sentence);
    }
    kept.unshift(...added);
  }
  if (kept.length === 0) return { text: impression, dropped: [], added: [] };
  return { text: `${kept.join(" . ")} .`, dropped, added };
}
