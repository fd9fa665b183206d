/**
 * R2Gen's `Tokenizer.clean_report_iu_xray`, ported character for character (quirks included). Pure: no Node
 * imports, so the renderer may call it too.
 *
 * Python original (R2Gen modules/tokenizers.py):
 *   report_cleaner = lambda t: t.replace('..', '.').replace('..', '.').replace('..', '.').replace('1. ', '') \
 *       .replace('. 2. ', '. ').replace('. 3. ', '. ').replace('. 4. ', '. ').replace('. 5. ', '. ') \
 *       .replace(' 2. ', '. ').replace(' 3. ', '. ').replace(' 4. ', '. ').replace(' 5. ', '. ') \
 *       .strip().lower().split('. ')
 *   sent_cleaner = lambda t: re.sub('[.,?;*!%^&_+():-\[\]{}]', '', t.replace('"', '').replace('/', '')
 *       .replace('\\', '').replace("'", '').strip().lower())
 *   tokens = [sent_cleaner(sent) for sent in report_cleaner(report) if sent_cleaner(sent) != []]
 *   report = ' . '.join(tokens) + ' .'
 */
import { pythonStrip } from "./python-text";

/**
 * The character class of sent_cleaner. In `:-\[` the `-` makes a range from ':' to '[', so ; < = > ? @ and A-Z
 * are removed too, while digits and '-' survive.
 */
const R2GEN_SENTENCE_CHARS = /[.,?;*!%^&_+():-[\]{}]/g;

/** Python str.replace replaces every occurrence, left to right, without overlaps: the same as replaceAll. */
function splitIntoSentences(report: string): string[] {
  const text = report
    .replaceAll("..", ".")
    .replaceAll("..", ".")
    .replaceAll("..", ".")
    .replaceAll("1. ", "")
    .replaceAll(". 2. ", ". ")
    .replaceAll(". 3. ", ". ")
    .replaceAll(". 4. ", ". ")
    .replaceAll(". 5. ", ". ")
    .replaceAll(" 2. ", ". ")
    .replaceAll(" 3. ", ". ")
    .replaceAll(" 4. ", ". ")
    .replaceAll(" 5. ", ". ");
  return pythonStrip(text).toLowerCase().split(". ");
}

function cleanSentence(sentence: string): string {
  const stripped = pythonStrip(
    sentence.replaceAll('"', "").replaceAll("/", "").replaceAll("\\", "").replaceAll("'", ""),
  ).toLowerCase();
  return stripped.replace(R2GEN_SENTENCE_CHARS, "");
}

/**
 * Clean an IU-Xray report exactly as R2Gen does. Empty sentences are kept (R2Gen's filter `!= []` never drops
 * a string), so "a. . b" yields "a .  . b .".
 */
export function cleanReportIuXray(report: string): string {
  const sentences = splitIntoSentences(report).map(cleanSentence);
  return `${sentences.join(" . ")} .`;
}
