/**
 * How hypothesis and reference texts are prepared before scoring. Pure: no Node imports.
 *
 * - "r2gen" (default): as R2Gen evaluates. The reference is the study's report cleaned
 *   (clean_report_iu_xray), mapped through the vocabulary ('<unk>' for unknown words), cut to max_seq_length
 *   ids including the BOS, and decoded: at most 59 tokens (R2Gen decodes `reports_ids[:, 1:]`). The hypothesis
 *   goes the same way, which is exactly what R2Gen's own hypotheses (decoded model ids) are; for text a model
 *   produced from this vocabulary it only re-joins the cleaned tokens with single spaces.
 * - "raw": both texts are only cleaned (clean_report_iu_xray); no vocabulary mapping and no truncation.
 */
import { cleanReportIuXray } from "./r2gen-cleaning";
import type { R2GenTokenizer } from "./r2gen-tokenizer";

export const REFERENCE_CONVENTIONS = ["r2gen", "raw"] as const;
export type ReferenceConvention = (typeof REFERENCE_CONVENTIONS)[number];

/** The text scored for a report (reference or hypothesis) under a convention. */
export function prepareReportText(
  rawReport: string,
  convention: ReferenceConvention,
  tokenizer: R2GenTokenizer,
): string {
  if (convention === "raw") return cleanReportIuXray(rawReport);
  return tokenizer.decode(tokenizer.encode(rawReport).slice(1));
}
