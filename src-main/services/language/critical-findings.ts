/**
 * Critical results (issue 18.3): which sentences of Findings and Impression affirm (or hedge) a finding on the
 * configurable critical list, and which of the model's positive findings are on it. A CheXpert observation name on
 * the list ("pneumothorax") is read with the clinical labeler's rules for that observation (plurals, synonyms,
 * negation: "No pneumothorax" is not critical); any other entry ("free air") is a phrase read with the same negation
 * and uncertainty rules. Hedged mentions ("possible pneumothorax") count: they must be communicated too. Pure.
 */
import { CHEXPERT_OBSERVATIONS } from "../../../src-shared/observations";
import { splitSentences } from "../../../src-shared/report-text";
import type { CriticalFinding, ModelFinding, ReportSections, SectionKey } from "../../../src-shared/report-types";
import { labelReport, phraseMentions } from "./clinical-labeler";

/** The default list: pneumothorax and free intraperitoneal air (with its usual wordings). */
export const DEFAULT_CRITICAL_FINDINGS: readonly string[] = [
  "pneumothorax",
  "free air",
  "free intraperitoneal air",
  "pneumoperitoneum",
];

const SECTIONS: readonly SectionKey[] = ["findings", "impression"];
const normal = (term: string) => term.toLowerCase().replace(/[-_]+/g, " ").replace(/\s+/g, " ").trim();

function sentenceNames(sentence: string, term: string): boolean {
  const observation = CHEXPERT_OBSERVATIONS.find((o) => o.toLowerCase() === term);
  if (observation) {
    return labelReport(sentence).mentions.some((m) => m.observation === observation && m.value !== 0);
  }
  return phraseMentions(sentence, term).some((m) => m.value !== 0);
}

/** Every critical finding of the draft: text mentions (with where they are) and the model's positive findings. */
export function criticalFindingsIn(
  sections: ReportSections,
  list: readonly string[],
  modelFindings: readonly ModelFinding[] = [],
): CriticalFinding[] {
  const terms = [...new Set(list.map(normal).filter(Boolean))];
  const out: CriticalFinding[] = [];
  for (const section of SECTIONS) {
    for (const sentence of splitSentences(sections[section])) {
      for (const term of terms) {
        if (sentenceNames(sentence.text, term)) {
          out.push({ term, source: "text", section, start: sentence.start, end: sentence.end, text: sentence.text });
        }
      }
    }
  }
  for (const f of modelFindings) {
    const term = normal(f.name);
    if (f.positive && terms.includes(term)) {
      out.push({ term, source: "model", section: null, start: 0, end: 0, text: `The model flags ${term}.` });
    }
  }
  return out;
}

/** The distinct critical terms, in order of first appearance ("pneumothorax, free air"). */
export const criticalTerms = (findings: readonly CriticalFinding[]) => [...new Set(findings.map((f) => f.term))];
