/**
 * From generated token ids to text. Two forms:
 * - raw: the tokens joined with single spaces (R2Gen's decode), what eval scores — e.g.
 *   "the heart is normal in size . the lungs are clear . no pneumothorax ."
 * - display: what people read — sentences in sentence case ending with a full stop, words in the casing the
 *   reports use for them (XXXX, AP, PICC, T12 ...), `<unk>` dropped, a sentence repeated word for word shown once:
 *   "The heart is normal in size. The lungs are clear. No pneumothorax."
 *
 * Sections: the IU-Xray reports of R2Gen's annotation are the FINDINGS section only, so the model writes findings.
 * The display text goes to Findings; the Impression is drafted from those findings by the impression model
 * (services/impression, docs/impression.md), and stays empty without an impression pack.
 */

export const SENTENCE_END_TOKEN = ".";
const UNKNOWN_TOKEN = "<unk>";

/** The raw text eval scores: each id looked up in idx2token, joined with single spaces. */
export function rawReportText(tokens: readonly number[], idx2token: readonly string[]): string {
  return tokens
    .map((id) => {
      const token = idx2token[id];
      if (token === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (${idx2token.length})`);
      return token;
    })
    .join(" ");
}

/** Lower-case word -> how reports write it when it is not the first word of a sentence (only non-lower forms). */
export type DisplayCasing = ReadonlyMap<string, string>;

const WORD = /[A-Za-z0-9][A-Za-z0-9-]*/g;

/**
 * Learns the casing of words from raw report texts: a word whose most frequent form away from sentence starts is
 * not all lower case (and that form covers more than half of its uses), e.g. "XXXX", "AP", "PICC", "T12", "COPD".
 */
export function buildDisplayCasing(reports: Iterable<string>): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const report of reports) {
    for (const sentence of report.split(/(?<=[.?!])\s+|\n+/)) {
      let first = true;
      for (const match of sentence.matchAll(WORD)) {
        const form = match[0];
        if (first) {
          first = false;
          continue;
        }
        const key = form.toLowerCase();
        let forms = counts.get(key);
        if (!forms) {
          forms = new Map();
          counts.set(key, forms);
        }
        forms.set(form, (forms.get(form) ?? 0) + 1);
      }
    }
  }
  const casing = new Map<string, string>();
  for (const [key, forms] of counts) {
    let total = 0;
    let best = key;
    let bestCount = 0;
    for (const [form, n] of forms) {
      total += n;
      if (n > bestCount) {
        best = form;
        bestCount = n;
      }
    }
    // "Heart" written mid-sentence by habit is not a proper noun: only keep forms with an upper-case letter after
    // the first character (XXXX, AP, T12) or fully upper-case ones.
    if (best !== key && bestCount * 2 > total && /[A-Z]/.test(best.slice(1))) casing.set(key, best);
  }
  return casing;
}

export interface DisplayReport {
  /** Display sentences, each in sentence case and ending with a full stop. */
  readonly sentences: readonly string[];
  readonly text: string;
  /** Sentences left out because they repeated an earlier one word for word. */
  readonly repeatsDropped: number;
  /** `<unk>` tokens left out. */
  readonly unknownDropped: number;
}

/** The display form of a raw (cleaned, space-separated) report text. */
export function displayReport(rawText: string, casing: DisplayCasing = new Map()): DisplayReport {
  const sentences: string[] = [];
  const seen = new Set<string>();
  let repeatsDropped = 0;
  let unknownDropped = 0;
  let words: string[] = [];
  const flush = () => {
    if (words.length === 0) return;
    const key = words.join(" ").toLowerCase();
    if (seen.has(key)) {
      repeatsDropped++;
    } else {
      seen.add(key);
      const cased = words.map((w) => casing.get(w.toLowerCase()) ?? w);
      const first = cased[0]!;
      cased[0] = first.charAt(0).toUpperCase() + first.slice(1);
      sentences.push(`${cased.join(" ")}.`);
    }
    words = [];
  };
  for (const token of rawText.split(/\s+/)) {
    if (token === "") continue;
    if (token === SENTENCE_END_TOKEN) {
      flush();
      continue;
    }
    if (token === UNKNOWN_TOKEN) {
      unknownDropped++;
      continue;
    }
    words.push(token);
  }
  flush();
  return { sentences, text: sentences.join(" "), repeatsDropped, unknownDropped };
}

/** Findings and impression of a generated report (the impression is filled in later: see the module comment). */
export function reportSections(display: DisplayReport): { findings: string; impression: string } {
  return { findings: display.text, impression: "" };
}
