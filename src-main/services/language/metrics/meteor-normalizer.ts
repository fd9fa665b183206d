/**
 * METEOR 1.5's English text normalizer (`-norm`: tokenize, keep punctuation, then lower-case), ported from
 * edu.cmu.meteor.util.Normalizer.normalizeLine (Moses-tokenizer based). Pure: no Node imports.
 *
 * One part is simplified: METEOR keeps a word-final dot attached for listed non-breaking prefixes ("Dr.", "No."
 * before a number); that list is not bundled here, so only the list-free rules apply (mixed "U.S." forms and a
 * following lower-case word). R2Gen-cleaned text, which is all this project scores, never has a dot attached to
 * a word, so the difference cannot show in the scores.
 */
const ALPHA =
  "A-Za-z\u0160\u017d\u0161\u017e\u0178\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017e\u0400-\u04ff\u0500-\u0527\ua640-\ua66e\ua67e-\ua697\u1d00-\u1d7f";
const ALNUM = `0-9${ALPHA}`;

const SEP_OTHER = new RegExp(`([^${ALNUM}\\s\\.'\`,\\-\u2018\u2019])`, "g");
const MULTI_DOT = /\.([.]+)/g;
const MULTI_DOT2 = /DOTMULTI\.([^.])/g;
const COMMA1 = /([^0-9]),([^0-9])/g;
const COMMA2 = /([0-9]),([^0-9])/g;
const COMMA3 = /([^0-9]),([0-9])/g;
const QUOTE_NORM = /([`\u2018\u2019])/g;
const QUOTE_NORM2 = /([\u201c\u201d]|'')/g;
const RM_DASH = new RegExp(`([${ALNUM}\\.])[\\-]([${ALNUM}])`, "g");
const CONT_EN = new RegExp(`([^${ALPHA}])[']([^${ALPHA}])`, "g");
const CONT_EN2 = new RegExp(`([^${ALPHA}0-9])[']([${ALPHA}])`, "g");
const CONT_EN3 = new RegExp(`([${ALPHA}])[']([^${ALPHA}])`, "g");
const CONT_EN4 = new RegExp(`([${ALPHA}])[']([${ALPHA}])`, "g");
const CONT_EN5 = /([0-9])[']([s])/g;
const NBP_ALPHA = new RegExp(`[${ALPHA}]`);
const WHITE = /[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+/g;
/** After the dots, in this order (a string is replaced everywhere as it stands). */
const COMMA_QUOTE_DASH_REWRITES: ReadonlyArray<readonly [RegExp | string, string]> = [
  [COMMA1, "$1 , $2"],
  [COMMA2, "$1 , $2"],
  [COMMA3, "$1 , $2"],
  [QUOTE_NORM, "'"],
  [QUOTE_NORM2, ' " '],
  ["\u2013", "-"],
  ["--", "-"],
  [RM_DASH, "$1 $2"],
  [CONT_EN, "$1 ' $2"],
  [CONT_EN2, "$1 ' $2"],
  [CONT_EN3, "$1 ' $2"],
  [CONT_EN4, "$1 '$2"],
  [CONT_EN5, "$1 '$2"],
];
/** Java's StringTokenizer default delimiters. */
const TOKEN_SPLIT = /[ \t\n\r\f]+/;

/** Java String.trim(): drop leading and trailing characters <= U+0020. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

/** Split like java.util.StringTokenizer with default delimiters. */
export function javaTokenize(text: string): string[] {
  return text.split(TOKEN_SPLIT).filter((token) => token.length > 0);
}

/** Normalize one line as METEOR 1.5 does with `-l en -norm` (punctuation kept), lower-cased. */
export function meteorNormalizeEnglish(line: string): string {
  let working = ` ${line} `;
  working = working.replace(SEP_OTHER, " $1 ");
  working = working.replace(MULTI_DOT, " DOTMULTI$1");
  while (working.includes("DOTMULTI.")) {
    working = working.replace(MULTI_DOT2, "DOTDOTMULTI $1");
    working = working.replaceAll("DOTMULTI.", "DOTDOTMULTI");
  }
  for (const [from, to] of COMMA_QUOTE_DASH_REWRITES)
    working = typeof from === "string" ? working.replaceAll(from, to) : working.replace(from, to);

  const words = javaTokenize(working);
  const rebuilt: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.length > 1 && word.endsWith(".")) {
      const prefix = word.slice(0, -1);
      const next = words[i + 1];
      if (prefix.includes(".") && NBP_ALPHA.test(prefix)) rebuilt.push(word.replaceAll(".", ""));
      else if (next !== undefined && /^[a-z]/.test(next)) rebuilt.push(word);
      else rebuilt.push(`${prefix} .`);
    } else {
      rebuilt.push(word);
    }
  }
  working = `${rebuilt.join(" ")} `;
  while (working.includes("DOTDOTMULTI")) working = working.replaceAll("DOTDOTMULTI", "DOTMULTI.");
  working = working.replaceAll("DOTMULTI", ".");
  working = javaTrim(working.replace(WHITE, " "));
  return working.toLowerCase();
}
