/**
 * Score generated reports against the IU-Xray references: BLEU-1..4, METEOR, ROUGE-L and clinical efficacy,
 * with R2Gen's reference conventions. This is the one scoring entry point (the eval CLI and any later
 * "generate then score" tool call it). Pure: no Node imports.
 */
import type { Annotation, Split } from "./iu-xray-data";
import { corpusBleu } from "./metrics/bleu";
import { type ClinicalEfficacy, clinicalEfficacy } from "./metrics/clinical-efficacy";
import { corpusMeteor } from "./metrics/meteor";
import { corpusRougeL } from "./metrics/rouge";
import { R2GEN_UNK_TOKEN, R2GenTokenizer } from "./r2gen-tokenizer";
import { prepareReportText, type ReferenceConvention } from "./references";

export interface Prediction {
  id: string;
  /** Raw generated report text. */
  report: string;
}

export interface EvaluationOptions {
  annotation: Annotation;
  split?: Split;
  convention?: ReferenceConvention;
  /**
   * The vocabulary the model was trained with (a pack's manifest `tokenizer.idx2token`). Without it, the R2Gen
   * tokenizer is built from the annotation's train split, which must then hold the train reports.
   */
  tokenizer?: R2GenTokenizer;
  /** Called after each metric with its name (progress display). */
  onProgress?: (step: "prepare" | "bleu" | "meteor" | "rouge_l" | "ce", done: number, total: number) => void;
}

export interface EvaluationResult {
  n: number;
  split: Split;
  reference_convention: ReferenceConvention;
  bleu1: number;
  bleu2: number;
  bleu3: number;
  bleu4: number;
  meteor: number;
  rouge_l: number;
  ce: { precision: number; recall: number; f1: number; macro_f1: number };
  ce_per_observation: ClinicalEfficacy["perObservation"];
  /** The texts that were scored, in split order (for inspection). */
  scored: { id: string; hypothesis: string; reference: string }[];
}

/** A problem with the predictions relative to the split: missing, unknown or duplicated ids. */
export class PredictionSetError extends Error {
  override name = "PredictionSetError";
}

function listIds(ids: readonly string[]): string {
  return `${ids.slice(0, 10).join(", ")}${ids.length > 10 ? `, ... (${ids.length} in all)` : ""}`;
}

/** An input that would make the scores meaningless (no vocabulary to score with, references the vocabulary cannot read). */
export class EvaluationInputError extends Error {
  override name = "EvaluationInputError";
}

/** Above this share of '<unk>' tokens in the references, the vocabulary is not the one these reports were written in. */
export const MAX_REFERENCE_UNKNOWN_SHARE = 0.5;

/** Check that predictions cover the split exactly once each. Throws PredictionSetError otherwise. */
export function matchPredictionsToSplit(
  predictions: readonly Prediction[],
  annotation: Annotation,
  split: Split,
): Map<string, string> {
  const byId = new Map<string, string>();
  const duplicates: string[] = [];
  for (const prediction of predictions) {
    if (byId.has(prediction.id)) duplicates.push(prediction.id);
    byId.set(prediction.id, prediction.report);
  }
  if (duplicates.length > 0) throw new PredictionSetError(`predictions repeat ids: ${listIds(duplicates)}`);
  const splitIds = new Set(annotation[split].map((study) => study.id));
  const unknown = [...byId.keys()].filter((id) => !splitIds.has(id));
  if (unknown.length > 0)
    throw new PredictionSetError(`predictions have ids that are not in the ${split} split: ${listIds(unknown)}`);
  const missing = annotation[split].map((study) => study.id).filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new PredictionSetError(`predictions lack ${missing.length} ids of the ${split} split: ${listIds(missing)}`);
  return byId;
}

/** Score predictions for every study of a split. */
export function evaluateReports(predictions: readonly Prediction[], options: EvaluationOptions): EvaluationResult {
  const split = options.split ?? "test";
  const convention = options.convention ?? "r2gen";
  const { annotation } = options;
  const byId = matchPredictionsToSplit(predictions, annotation, split);
  if (!options.tokenizer && convention === "r2gen" && annotation.train.length === 0) {
    throw new EvaluationInputError(
      "the annotation has no train studies, so there is no vocabulary to score with (R2Gen builds it from the train split): score with the model pack's vocabulary (--pack) or pass the full annotation (--annotation)",
    );
  }
  const tokenizer = options.tokenizer ?? R2GenTokenizer.fromTrainReports(annotation.train.map((study) => study.report));
  const studies = annotation[split];
  if (studies.length === 0) throw new EvaluationInputError(`the annotation has no ${split} studies to score`);
  const progress = options.onProgress ?? (() => {});
  const scored = studies.map((study) => ({
    id: study.id,
    hypothesis: prepareReportText(byId.get(study.id)!, convention, tokenizer),
    reference: prepareReportText(study.report, convention, tokenizer),
  }));
  if (convention === "r2gen") {
    let tokens = 0;
    let unknown = 0;
    for (const { reference } of scored) {
      for (const token of reference.split(" ")) {
        if (token === "") continue;
        tokens++;
        if (token === R2GEN_UNK_TOKEN) unknown++;
      }
    }
    if (tokens === 0) throw new EvaluationInputError(`the ${split} references are empty after cleaning`);
    if (unknown / tokens > MAX_REFERENCE_UNKNOWN_SHARE) {
      throw new EvaluationInputError(
        `${((100 * unknown) / tokens).toFixed(1)} % of the ${split} reference tokens are unknown to the scoring vocabulary (${tokenizer.vocabularySize} tokens): it is not the vocabulary these reports were tokenised with, and any score would be meaningless`,
      );
    }
  }
  progress("prepare", 1, 5);
  const segments = scored.map(({ hypothesis, reference }) => ({ hypothesis, references: [reference] }));
  const { bleu } = corpusBleu(segments, 4);
  progress("bleu", 2, 5);
  const { meteor } = corpusMeteor(segments);
  progress("meteor", 3, 5);
  const { rougeL } = corpusRougeL(segments);
  progress("rouge_l", 4, 5);
  const ce = clinicalEfficacy(scored);
  progress("ce", 5, 5);
  return {
    n: scored.length,
    split,
    reference_convention: convention,
    bleu1: bleu[0]!,
    bleu2: bleu[1]!,
    bleu3: bleu[2]!,
    bleu4: bleu[3]!,
    meteor,
    rouge_l: rougeL,
    ce: { precision: ce.precision, recall: ce.recall, f1: ce.f1, macro_f1: ce.macro_f1 },
    ce_per_observation: ce.perObservation,
    scored,
  };
}
