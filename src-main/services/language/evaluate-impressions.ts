/**
 * Score drafted impressions against the Open-i reference impressions (the R2Gen val/test studies with a
 * non-empty findings and impression): the same metrics as evaluateReports, with the impression vocabulary, plus
 * the contradiction rate against each study's findings (impression-consistency.ts). Pure: no Node imports.
 */
import { type EvaluationResult, evaluateReports, type Prediction } from "./evaluate-reports";
import { impressionContradictions } from "./impression-consistency";
import { type ImpressionDataset, impressionAnnotation } from "./impression-dataset";
import type { Split } from "./iu-xray-data";
import type { ReferenceConvention } from "./references";

export interface ImpressionEvaluation extends EvaluationResult {
  contradictions: {
    /** Share of studies whose drafted impression contradicts its findings. */
    rate: number;
    studies: number;
    negated: number;
    normal_despite_acute: number;
    /** The same for the radiologists' own impressions (how often the labeler flags the reference). */
    reference_rate: number;
  };
}

export function evaluateImpressions(
  predictions: readonly Prediction[],
  dataset: ImpressionDataset,
  split: Split,
  convention: ReferenceConvention = "r2gen",
  onProgress?: Parameters<typeof evaluateReports>[1]["onProgress"],
): ImpressionEvaluation {
  const result = evaluateReports(predictions, {
    annotation: impressionAnnotation(dataset),
    split,
    convention,
    tokenizer: dataset.tokenizer,
    onProgress,
  });
  const byId = new Map(predictions.map((p) => [p.id, p.report]));
  let studies = 0;
  let negated = 0;
  let normal = 0;
  let reference = 0;
  const examples = dataset.examples.filter((e) => e.split === split);
  for (const example of examples) {
    const found = impressionContradictions(example.findings, byId.get(example.id)!);
    if (found.length > 0) studies++;
    if (found.some((c) => c.kind === "negated")) negated++;
    if (found.some((c) => c.kind === "normal-despite-acute")) normal++;
    if (impressionContradictions(example.findings, example.impression).length > 0) reference++;
  }
  const n = Math.max(1, examples.length);
  return {
    ...result,
    contradictions: {
      rate: studies / n,
      studies,
      negated,
      normal_despite_acute: normal,
      reference_rate: reference / n,
    },
  };
}
