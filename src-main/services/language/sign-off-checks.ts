/**
 * Sign-off safeguards on a draft's text (issue 18.2): what must be fixed before a report may be signed.
 *
 * - Placeholders: IU-Xray's anonymisation token `XXXX` (any case: R2Gen-cleaned text and drafts written by a model
 *   trained on it carry `xxxx`), unfilled pick-list slots (`[left|right]`), template blanks (`___`, `[___]`, `[ ]`,
 *   `[...]`). The slots are found by the one template-slot parser (src-shared/templates.ts) that the report editor's
 *   Tab and pick-list chooser use too.
 * - Empty Findings or Impression.
 * - Laterality: an observation affirmed (or hedged) on one side in Findings and only on the other side in
 *   Impression ("small left pleural effusion" / "right pleural effusion"). Observations come from the clinical
 *   labeler (one owner of report-language rules); a sentence naming both sides, or "bilateral", has no single side
 *   and is never called contradictory.
 *
 * Every issue carries the section and the [start, end) offsets to put the cursor on, and a message that says what
 * to fix. Pure: no I/O.
 */
import { splitSentences } from "../../../src-shared/report-text";
import type { ReportSections, SectionKey, SignOffIssue } from "../../../src-shared/report-types";
import { findSlots, type TemplateSlot } from "../../../src-shared/templates";
import { labelReport } from "./clinical-labeler";

const TITLES: Record<SectionKey, string> = {
  indication: "Indication",
  comparison: "Comparison",
  findings: "Findings",
  impression: "Impression",
};

const ANONYMISATION = /\bx{3,}\b/gi;

type Side = "left" | "right";
const OPPOSITE: Record<Side, Side> = { left: "right", right: "left" };

function quote(text: string, max = 90): string {
  return `"${text.length > max ? `${text.slice(0, max - 1)}…` : text}"`;
}

/** What the refusal tells the user to do with an unfilled slot. */
function slotFix(slot: TemplateSlot, where: string, sentence: string): string {
  if (slot.kind === "blank")
    return `${where}: the template blank ${slot.text} in ${quote(sentence)} is not filled in; write the value or remove the sentence`;
  const choices = slot.options.length ? slot.options.map((o) => `"${o}"`).join(" or ") : "your choice";
  return `${where}: the pick-list ${slot.text} in ${quote(sentence)} is not filled in; replace it with ${choices}`;
}

function placeholderIssues(sections: ReportSections): SignOffIssue[] {
  const issues: SignOffIssue[] = [];
  for (const section of Object.keys(TITLES) as SectionKey[]) {
    const text = sections[section];
    const sentences = splitSentences(text);
    const sentenceAt = (offset: number) => sentences.find((s) => s.start <= offset && offset < s.end)?.text ?? text;
    const found: SignOffIssue[] = [];
    for (const m of text.matchAll(ANONYMISATION)) {
      found.push({
        code: "placeholder",
        section,
        start: m.index,
        end: m.index + m[0].length,
        message: `${TITLES[section]}: ${quote(sentenceAt(m.index))} holds the anonymisation token ${m[0]}; replace it with the word it stands for or remove it`,
      });
    }
    for (const slot of findSlots(text)) {
      found.push({
        code: slot.kind,
        section,
        start: slot.start,
        end: slot.end,
        message: slotFix(slot, TITLES[section], sentenceAt(slot.start)),
      });
    }
    issues.push(...found.sort((a, b) => a.start - b.start));
  }
  return issues;
}

/** The single side a sentence speaks of, or null (none, both, bilateral). */
function sideOf(sentence: string): Side | null {
  const lower = sentence.toLowerCase();
  if (/\b(?:bilateral(?:ly)?|both)\b/.test(lower)) return null;
  const left = /\bleft\b/.test(lower);
  const right = /\bright\b/.test(lower);
  if (left === right) return null;
  return left ? "left" : "right";
}

/** Affirmed or hedged observations a sentence names (CheXpert observations and the labeler's other findings). */
function observationsOf(sentence: string): Set<string> {
  const result = labelReport(sentence);
  const out = new Set<string>();
  for (const m of result.mentions) if (m.value !== 0 && m.observation !== "No Finding") out.add(m.observation);
  for (const other of result.otherFindings) out.add(other);
  return out;
}

interface SidedSentence {
  start: number;
  end: number;
  text: string;
  side: Side | null;
  observations: Set<string>;
}

function sidedSentences(text: string): SidedSentence[] {
  return splitSentences(text).map((s) => ({ ...s, side: sideOf(s.text), observations: observationsOf(s.text) }));
}

function lateralityIssues(sections: ReportSections): SignOffIssue[] {
  const findings = sidedSentences(sections.findings);
  const issues: SignOffIssue[] = [];
  for (const imp of sidedSentences(sections.impression)) {
    if (!imp.side) continue;
    for (const observation of imp.observations) {
      const inFindings = findings.filter((f) => f.observations.has(observation));
      if (inFindings.length === 0) continue;
      // Findings agree (same side) or leave it open (no single side): nothing to flag.
      if (inFindings.some((f) => f.side !== OPPOSITE[imp.side as Side])) continue;
      const other = inFindings[0] as SidedSentence;
      issues.push({
        code: "laterality",
        section: "impression",
        start: imp.start,
        end: imp.end,
        message: `Laterality: Findings call the ${observation.toLowerCase()} ${other.side}-sided (${quote(other.text)}), Impression ${imp.side}-sided (${quote(imp.text)}); make the sides agree`,
      });
      break;
    }
  }
  return issues;
}

function emptySectionIssues(sections: ReportSections): SignOffIssue[] {
  const issues: SignOffIssue[] = [];
  for (const section of ["findings", "impression"] as const) {
    if (sections[section].trim() !== "") continue;
    issues.push({
      code: "empty-section",
      section,
      start: 0,
      end: 0,
      message: `${TITLES[section]} is empty; write the ${section === "findings" ? "findings" : "impression"} before signing`,
    });
  }
  return issues;
}

/** Everything that keeps this text from being signed, in reading order of the fixes (empty, placeholders, sides). */
export function checkSignOff(sections: ReportSections): SignOffIssue[] {
  return [...emptySectionIssues(sections), ...placeholderIssues(sections), ...lateralityIssues(sections)];
}
