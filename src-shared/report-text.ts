/**
 * Sentence-level text handling of report drafts, shared by main (authoritative AI spans on every save) and the
 * renderer (marking while typing, similar-case highlighting, inserting sentences). Pure functions, no I/O.
 */
import { type AiSpan, type ReportSections, SECTION_KEYS, type SectionKey } from "./report-types";

export interface SentenceRange {
  /** [start, end) character offsets into the section text; the text has no surrounding whitespace. */
  start: number;
  end: number;
  text: string;
}

const SENTENCE_END = new Set([".", "!", "?"]);
const CLOSERS = new Set(['"', "'", ")", "]"]);
const isSpace = (ch: string) => /\s/.test(ch);

/**
 * Splits text into sentences with their offsets. A sentence ends at ".", "!" or "?" followed by whitespace or the
 * end of the text (so "1.5 cm" stays whole), or at a line break; surrounding whitespace is not part of it.
 */
export function splitSentences(text: string): SentenceRange[] {
  const out: SentenceRange[] = [];
  let start = -1;
  const push = (end: number) => {
    let e = end;
    while (e > start && isSpace(text[e - 1] ?? "")) e--;
    if (e > start) out.push({ start, end: e, text: text.slice(start, e) });
    start = -1;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? "";
    if (start < 0) {
      if (!isSpace(ch)) start = i;
      else continue;
    }
    if (ch === "\n") {
      push(i);
      continue;
    }
    if (SENTENCE_END.has(ch)) {
      let j = i + 1;
      while (j < text.length && (SENTENCE_END.has(text[j] ?? "") || CLOSERS.has(text[j] ?? ""))) j++;
      if (j >= text.length || isSpace(text[j] ?? "")) {
        push(j);
        i = j - 1;
      }
    }
  }
  if (start >= 0) push(text.length);
  return out;
}

/** Case, punctuation and whitespace folded away: "No  pleural effusion." and "no pleural effusion" are equal. */
export function normaliseSentence(sentence: string): string {
  return sentence
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * The untouched AI sentences of a draft: a sentence counts as AI while its text equals a sentence the AI wrote in
 * the same section (each AI sentence is matched at most once).
 */
export function computeAiSpans(sections: ReportSections, aiSections: ReportSections | null): AiSpan[] {
  if (!aiSections) return [];
  const spans: AiSpan[] = [];
  for (const section of SECTION_KEYS) {
    const available = new Map<string, number>();
    for (const s of splitSentences(aiSections[section])) available.set(s.text, (available.get(s.text) ?? 0) + 1);
    if (available.size === 0) continue;
    for (const s of splitSentences(sections[section])) {
      const left = available.get(s.text) ?? 0;
      if (left > 0) {
        available.set(s.text, left - 1);
        spans.push({ section, start: s.start, end: s.end });
      }
    }
  }
  return spans;
}

/** Whether Findings or Impression hold text other than the AI's (what Regenerate would replace). */
export function hasUserEditsToAiSections(sections: ReportSections, aiSections: ReportSections | null): boolean {
  const keys: SectionKey[] = ["findings", "impression"];
  return keys.some((k) => sections[k].trim() !== (aiSections?.[k] ?? "").trim());
}

/** Three-way merge per section: where mine still equals the base, theirs wins; otherwise mine is kept. */
export function mergeSections(base: ReportSections, mine: ReportSections, theirs: ReportSections): ReportSections {
  const out = { ...mine };
  for (const k of SECTION_KEYS) if (mine[k] === base[k]) out[k] = theirs[k];
  return out;
}

export function sectionsEqual(a: ReportSections, b: ReportSections): boolean {
  return SECTION_KEYS.every((k) => a[k] === b[k]);
}

/** Appends a sentence to a section's text with one space between sentences and a closing full stop. */
export function appendSentence(text: string, sentence: string): string {
  let s = sentence.trim();
  if (s === "") return text;
  if (!SENTENCE_END.has(s[s.length - 1] ?? "")) s = `${s}.`;
  const head = text.replace(/\s+$/, "");
  if (head === "") return s;
  const last = head[head.length - 1] ?? "";
  return `${head}${SENTENCE_END.has(last) || CLOSERS.has(last) ? "" : "."} ${s}`;
}

/**
 * For each sentence of `text`, the ids of the similar cases whose report contains the same sentence (after
 * normalisation). Sentences without a match are left out.
 */
export function sentencesFoundInCases(
  text: string,
  cases: ReadonlyArray<{ studyId: string; report: string }>,
): Array<SentenceRange & { caseIds: string[] }> {
  const index = new Map<string, Set<string>>();
  for (const c of cases) {
    for (const s of splitSentences(c.report)) {
      const key = normaliseSentence(s.text);
      if (key === "") continue;
      const ids = index.get(key) ?? new Set<string>();
      ids.add(c.studyId);
      index.set(key, ids);
    }
  }
  const out: Array<SentenceRange & { caseIds: string[] }> = [];
  for (const s of splitSentences(text)) {
    const ids = index.get(normaliseSentence(s.text));
    if (ids) out.push({ ...s, caseIds: [...ids] });
  }
  return out;
}

/** The normalised sentences of a whole draft (every section), for highlighting them in retrieved reports. */
export function normalisedSentenceSet(sections: ReportSections): Set<string> {
  const out = new Set<string>();
  for (const k of SECTION_KEYS) {
    for (const s of splitSentences(sections[k])) {
      const key = normaliseSentence(s.text);
      if (key) out.add(key);
    }
  }
  return out;
}
