/**
 * Small rule-based reading of IU-Xray report text for the finding kinds of ./report-findings.ts (what the synthetic
 * renderer draws and the finding review names): which findings a report affirms (as opposed to negates: "no
 * effusion", "without pneumothorax", "effusion has resolved"), how sure it is ("may represent", "cannot exclude"),
 * and where and how large they are (side, lobe, zone, severity, size).
 *
 * Deliberately separate from the CheXpert labeler (./clinical-labeler.ts): it reads the renderer's attributes, not
 * the 14 observations.
 */

export type Side = "left" | "right" | "bilateral";
export type Zone = "upper" | "middle" | "lower";
export type Lobe = "RUL" | "RML" | "RLL" | "LUL" | "lingula" | "LLL";
export type Severity = "mild" | "moderate" | "marked";
export type Position = "medial" | "lateral" | "retrocardiac" | "apical" | "basal" | "perihilar";

export interface Mention {
  /** The matched words. */
  term: string;
  /** Index of the sentence in the report. */
  sentenceIndex: number;
  sentence: string;
  negated: boolean;
  uncertain: boolean;
  /** The words that describe this mention: its segment of the sentence plus location-only segments after it. */
  context: string;
}

export interface MentionOptions {
  /**
   * Extra negation phrases for findings that reports deny by calling the structure normal
   * ("heart size is normal", "within normal limits").
   */
  normalMeansAbsent?: boolean;
}

/** Split into sentences at . ! ? ; (also "word.Word" with a missing space), never inside numbers like 2.5. */
export function splitSentences(report: string): string[] {
  const text = report.replace(/\s+/g, " ").trim();
  return text
    .split(/(?<=[.!?])\s+|(?<=[A-Za-z)])\.(?=[A-Z])|;\s*/)
    .map((s) => s.trim())
    .filter((s) => s.replace(/[.\s]/g, "").length > 0);
}

// Phrases that look like negations but are not ("no change in the effusion").
const PSEUDO_NEGATION =
  /\b(?:no|without)\s+(?:(?:significant|definite|interval|appreciable|substantial|other|further)\s+)?(?:change|changes|increase|progression|worsening|enlargement of the|difference)\b|\bnot\s+(?:significantly\s+)?(?:changed|only)\b/gi;

const PRE_NEGATION =
  /\b(?:no|not|without|negative for|free of|clear of|absence of|absent|resolution of|resolved|removal of|removed|never|none|rather than|instead of|no longer|nor)\b/gi;

const NORMAL_NEGATION =
  /\b(?:normal|normal\s+in\s+size|within normal limits|upper (?:limits?|range) of normal|unremarkable|not enlarged)\b/gi;

// Words after a negation cue that end its scope.
const SCOPE_TERMINATOR =
  /\b(?:but|however|although|though|whereas|except|aside from|apart from|other than|which|while|there (?:is|are|has been|have been)|(?:is|are|was|were) (?:seen|noted|identified|present|demonstrated|visualized|evident|appreciated|again seen|again noted|unchanged|stable))\b/i;

const POST_NEGATION =
  /^(?:[\w\s,-]{0,60}?)\b(?:(?:is|are|was|were|has been|have been)\s+)?(?:not\s+(?:seen|identified|present|demonstrated|visualized|evident|appreciated|detected|noted|visible|identified)|(?:has|have)\s+resolved|resolved|no longer\s+(?:seen|present|visualized|evident|visible|identified)|(?:has|have) been removed|removed|absent)\b/i;

const UNCERTAINTY =
  /\b(?:may|might|could|possible|possibly|probable|probably|likely|questionable|question of|questioned|suspicious|suspect\w*|concern\w*|suggest\w*|cannot (?:be )?(?:excluded|exclude|ruled out|rule out)|can not (?:be )?(?:excluded|exclude)|not (?:be )?(?:excluded|ruled out)|rule out|versus|vs\.?|differential|consider\w*|equivocal|indeterminate|presum\w*|favou?r\w*|borderline|subtle|vague|ill-defined)\b/i;

function lastCueBefore(sentence: string, position: number, cue: RegExp): number {
  const re = new RegExp(cue.source, "gi");
  let last = -1;
  for (let m = re.exec(sentence); m && m.index < position; m = re.exec(sentence)) last = m.index + m[0].length;
  return last;
}

function pseudoNegationSpans(sentence: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const re = new RegExp(PSEUDO_NEGATION.source, "gi");
  for (let m = re.exec(sentence); m; m = re.exec(sentence)) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

function negatedBefore(sentence: string, position: number, options: MentionOptions): boolean {
  const pseudo = pseudoNegationSpans(sentence);
  const cues: RegExp[] = [PRE_NEGATION];
  if (options.normalMeansAbsent) cues.push(NORMAL_NEGATION);
  for (const cue of cues) {
    const re = new RegExp(cue.source, "gi");
    for (let m = re.exec(sentence); m && m.index < position; m = re.exec(sentence)) {
      const start = m.index;
      if (pseudo.some(([a, b]) => start >= a && start < b)) continue;
      const between = sentence.slice(start + m[0].length, position);
      if (!SCOPE_TERMINATOR.test(between)) return true;
    }
  }
  return false;
}

function negatedAfter(sentence: string, end: number, options: MentionOptions): boolean {
  const after = sentence.slice(end);
  const stop = after.search(/[,;]|\b(?:and|but|with|however|although)\b/i);
  const clause = stop >= 0 ? after.slice(0, stop) : after;
  if (POST_NEGATION.test(clause)) return true;
  if (options.normalMeansAbsent) {
    // "The heart size and pulmonary vascularity appear within normal limits": "normal" may follow an "and".
    const wideStop = after.search(/[;]|\b(?:but|with|however|although)\b/i);
    const wide = wideStop >= 0 ? after.slice(0, wideStop) : after;
    return /^[\w\s,-]{0,60}?\b(?:normal|within normal limits|unremarkable|not enlarged)\b/i.test(wide);
  }
  return false;
}

function uncertainAround(sentence: string, start: number, end: number): boolean {
  const before = sentence.slice(0, start);
  const after = sentence.slice(end);
  if (UNCERTAINTY.test(before)) {
    const cueEnd = lastCueBefore(sentence, start, UNCERTAINTY);
    const between = sentence.slice(cueEnd, start);
    if (!/[;]|\b(?:but|however|there (?:is|are))\b/i.test(between)) return true;
  }
  const stop = after.search(/[;]|\b(?:but|however)\b/i);
  const tail = stop >= 0 ? after.slice(0, stop) : after;
  return /\b(?:(?:is|are) )?(?:not excluded|(?:cannot|can not) be excluded|(?:is|are) (?:possible|questioned|suspected|favou?red))\b|\b(?:versus|vs\.?)\b/i.test(
    tail,
  );
}

/** Segments of a sentence: split at commas, semicolons, "and", "with", "but". */
function segmentsOf(sentence: string): Array<{ start: number; end: number }> {
  const segments: Array<{ start: number; end: number }> = [];
  const re = /,|;|\b(?:and|with|but|however|while|whereas)\b/gi;
  let start = 0;
  for (let m = re.exec(sentence); m; m = re.exec(sentence)) {
    segments.push({ start, end: m.index });
    start = m.index + m[0].length;
  }
  segments.push({ start, end: sentence.length });
  return segments.filter((s) => s.end > s.start);
}

const LOCATION_WORDS =
  /\b(?:right|left|bilateral\w*|both|bibasilar|bibasal|biapical|upper|middle|mid|midlung|lower|apex|apices|apical|base|bases|basilar|basal|lingula\w*|perihilar|hilar|retrocardiac|lobe|lobes|lung|zone|medial|lateral|costophrenic|rul|rml|rll|lul|lll)\b/i;

export class ReportText {
  readonly report: string;
  readonly sentences: string[];
  private readonly anyFinding: RegExp;

  /**
   * @param anyFinding words that name any finding: a segment without them but with location words ("right greater
   * than left") describes the finding named before it in the sentence.
   */
  constructor(report: string, anyFinding: RegExp) {
    this.report = report;
    this.sentences = splitSentences(report);
    this.anyFinding = new RegExp(anyFinding.source, "i");
  }

  mentions(pattern: RegExp, options: MentionOptions = {}): Mention[] {
    const found: Mention[] = [];
    const re = new RegExp(pattern.source, "gi");
    this.sentences.forEach((sentence, sentenceIndex) => {
      const segments = segmentsOf(sentence);
      re.lastIndex = 0;
      for (let m = re.exec(sentence); m; m = re.exec(sentence)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const start = m.index;
        const end = start + m[0].length;
        const negated = negatedBefore(sentence, start, options) || negatedAfter(sentence, end, options);
        const uncertain = !negated && uncertainAround(sentence, start, end);
        found.push({
          term: m[0],
          sentenceIndex,
          sentence,
          negated,
          uncertain,
          context: this.contextOf(sentence, segments, start, end),
        });
      }
    });
    return found;
  }

  /** Affirmed (not negated) mentions. */
  affirmed(pattern: RegExp, options: MentionOptions = {}): Mention[] {
    return this.mentions(pattern, options).filter((m) => !m.negated);
  }

  private contextOf(
    sentence: string,
    segments: Array<{ start: number; end: number }>,
    start: number,
    end: number,
  ): string {
    const index = segments.findIndex((s) => start >= s.start && start < s.end);
    if (index < 0) return sentence.slice(start, end);
    const own = segments[index]!;
    const parts = [sentence.slice(own.start, Math.max(own.end, end))];
    // Location-only segments right after this one ("..., right greater than left", "... and left lower lobes").
    for (let i = index + 1; i < segments.length; i++) {
      const text = sentence.slice(segments[i]!.start, segments[i]!.end);
      if (this.anyFinding.test(text) || !LOCATION_WORDS.test(text)) break;
      parts.push(text);
    }
    return parts.join(" , ");
  }
}

// ---------- attribute extraction from a mention's context ----------

export function sideOf(context: string): Side | undefined {
  // Side words that name a projection or a direction, not where the finding is.
  const text = context
    .toLowerCase()
    .replace(/\b(?:left|right) lateral (?:decubitus|view|film|projection|radiograph)\w*/g, " ")
    .replace(/\b(?:right|left)[- ]to[- ](?:left|right)\b/g, " ");
  if (/\b(?:bilateral\w*|both|bibasilar|bibasal|biapical|bilaterally)\b/.test(text)) return "bilateral";
  const right = /\b(?:right|rt|rul|rml|rll|dextro\w*)\b/.test(text);
  const left = /\b(?:left|lt|lul|lll|lingula\w*|levo\w*)\b/.test(text);
  if (right && left) return "bilateral";
  if (right) return "right";
  if (left) return "left";
  return undefined;
}

export function zonesOf(context: string): Zone[] {
  const text = context.toLowerCase();
  const zones: Zone[] = [];
  if (/\b(?:upper|apex|apices|apical|apically|biapical|suprahilar|rul|lul)\b/.test(text)) zones.push("upper");
  if (/\b(?:middle|mid|midlung|mid-lung|perihilar|hilar|lingula\w*|central|rml)\b/.test(text)) zones.push("middle");
  if (
    /\b(?:lower|base|bases|basilar|basal|bibasilar|bibasal|infrahilar|retrocardiac|costophrenic|inferior|rll|lll)\b/.test(
      text,
    )
  )
    zones.push("lower");
  return zones;
}

export function lobesOf(context: string): Lobe[] {
  const text = context.toLowerCase();
  const lobes: Lobe[] = [];
  const add = (lobe: Lobe): void => {
    if (!lobes.includes(lobe)) lobes.push(lobe);
  };
  if (/\bright upper lobe\b|\brul\b/.test(text)) add("RUL");
  if (/\bright middle lobe\b|\brml\b|(?<!left )\bmiddle lobe\b/.test(text)) add("RML");
  if (/\bright lower lobe\b|\brll\b/.test(text)) add("RLL");
  if (/\bleft upper lobe\b|\blul\b/.test(text)) add("LUL");
  if (/\blingula\w*\b/.test(text)) add("lingula");
  if (/\bleft lower lobe\b|\blll\b/.test(text)) add("LLL");
  return lobes;
}

export function positionOf(context: string): Position | undefined {
  const text = context.toLowerCase();
  if (/\bretrocardiac\b/.test(text)) return "retrocardiac";
  if (/\bperihilar\b|\bhilar\b|\bcentral\b/.test(text)) return "perihilar";
  if (/\bmedial\w*\b/.test(text)) return "medial";
  if (/\b(?:lateral\w*|peripheral\w*|subpleural)\b/.test(text)) return "lateral";
  if (/\b(?:apex|apices|apical\w*|biapical)\b/.test(text)) return "apical";
  if (/\b(?:base|bases|basilar|basal|bibasilar|bibasal)\b/.test(text)) return "basal";
  return undefined;
}

export function severityOf(context: string): Severity | undefined {
  const text = context.toLowerCase();
  if (/\b(?:moderate(?:ly)?\s+to\s+(?:large|severe|marked)|moderate-to-large|moderate-to-severe)\b/.test(text))
    return "marked";
  if (/\b(?:mild(?:ly)?|small|minimal)\s+to\s+moderate(?:ly)?\b|\bmild-to-moderate\b|\bsmall-to-moderate\b/.test(text))
    return "moderate";
  if (
    /\b(?:marked(?:ly)?|severe(?:ly)?|massive|large|extensive|huge|significant(?:ly)?|complete|near complete|tension|dense)\b/.test(
      text,
    )
  )
    return "marked";
  if (/\bmoderate(?:ly)?\b/.test(text)) return "moderate";
  if (
    /\b(?:mild(?:ly)?|minimal(?:ly)?|slight(?:ly)?|small|tiny|trace|subtle|borderline|minor|faint|upper limits? of normal|top normal|top-normal|early)\b/.test(
      text,
    )
  )
    return "mild";
  return undefined;
}

/** Largest stated size in centimetres ("2.6 cm", "8 mm"), if any. */
export function sizeCmOf(context: string): number | undefined {
  let best: number | undefined;
  const re = /(\d+(?:\.\d+)?)\s*(cm|mm)\b/gi;
  for (let m = re.exec(context); m; m = re.exec(context)) {
    const value = Number(m[1]) * (m[2]!.toLowerCase() === "mm" ? 0.1 : 1);
    if (Number.isFinite(value) && value > 0 && value < 30) best = Math.max(best ?? 0, value);
  }
  return best;
}

export function isPlural(context: string): boolean {
  return (
    /\b(?:multiple|several|numerous|few|scattered|innumerable|two|three|four)\b/i.test(context) ||
    /\b(?:nodules|granulomas|masses|lesions|fractures|clips|densities)\b/i.test(context)
  );
}

/** "9th rib", "left 5th and 6th ribs" → the first rib number, 1..12. */
export function ribNumberOf(context: string): number | undefined {
  const m = /\b(\d{1,2})(?:st|nd|rd|th)\b(?:[\w\s-]{0,30}?)\bribs?\b/i.exec(context);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 1 && n <= 12 ? n : undefined;
}
