/**
 * Small helpers that reproduce Python's str behaviour, so that the R2Gen and pycocoevalcap ports split and
 * strip text exactly as the Python originals do. Pure: no Node imports.
 */

/** The characters Python's str.isspace() accepts (str.split() / str.strip() with no argument use these). */
const PYTHON_WHITESPACE =
  "\\t\\n\\u000b\\u000c\\r\\u001c\\u001d\\u001e\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const SPLIT_RE = new RegExp(`[${PYTHON_WHITESPACE}]+`, "u");
const STRIP_RE = new RegExp(`^[${PYTHON_WHITESPACE}]+|[${PYTHON_WHITESPACE}]+$`, "gu");

/** Python `s.split()`: split on runs of whitespace, no empty strings. */
export function pythonSplit(text: string): string[] {
  return text.split(SPLIT_RE).filter((part) => part.length > 0);
}

/** Python `s.strip()`. */
export function pythonStrip(text: string): string {
  return text.replace(STRIP_RE, "");
}

/** Python's default string ordering (by code point), as `list.sort()` uses. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return ca.done === cb.done ? 0 : ca.done ? -1 : 1;
    const pa = ca.value.codePointAt(0)!;
    const pb = cb.value.codePointAt(0)!;
    if (pa !== pb) return pa < pb ? -1 : 1;
  }
}
