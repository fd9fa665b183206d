/**
 * Report templates and macros (issue 18.4): the one parser of their fill-in slots, the split of a macro's text into
 * report sections, inserting a macro at the report cursor, and the built-in normal chest template.
 *
 * Slots:
 * - a pick-list `[left|right]`: square brackets holding at least one `|`; its options are the trimmed parts;
 * - a blank: `[___]`, `[ ]`, `[...]`, `[…]` or a bare run of three or more underscores `___`.
 *
 * The sign-off safeguards (src-main/services/language/sign-off-checks.ts, issue 18.2) refuse to sign while any slot
 * found here is left in the text, so what the editor's Tab jumps to is exactly what signing refuses. Pure: no I/O.
 */
import { type ReportSections, SECTION_KEYS, SECTION_TITLES, type SectionKey } from "./report-types";

export type SlotKind = "pick-list" | "blank";

export interface TemplateSlot {
  kind: SlotKind;
  /** [start, end) in the text. */
  start: number;
  end: number;
  /** The slot as written, e.g. "[left|right]". */
  text: string;
  /** A pick-list's choices in order (empty ones dropped); [] for a blank. */
  options: string[];
}

// One pattern, so a slot is found once: a pick-list first (it may hold underscores), then bracketed blanks, then
// bare underscores.
const SLOT = /(\[[^[\]\n]*\|[^[\]\n]*\])|(\[\s*(?:_+|\.{2,}|…)?\s*\])|(_{3,})/g;

/** Every unfilled slot of `text`, in reading order. */
export function findSlots(text: string): TemplateSlot[] {
  const slots: TemplateSlot[] = [];
  for (const m of text.matchAll(SLOT)) {
    const start = m.index;
    const raw = m[0];
    const pick = m[1] !== undefined;
    slots.push({
      kind: pick ? "pick-list" : "blank",
      start,
      end: start + raw.length,
      text: raw,
      options: pick
        ? raw
            .slice(1, -1)
            .split("|")
            .map((o) => o.trim())
            .filter(Boolean)
        : [],
    });
  }
  return slots;
}

/** The first slot that starts at or after `from` (Tab), or null. */
export function nextSlot(text: string, from: number): TemplateSlot | null {
  return findSlots(text).find((s) => s.start >= from) ?? null;
}

/** The last slot that ends at or before `before` (Shift+Tab), or null. */
export function previousSlot(text: string, before: number): TemplateSlot | null {
  return (
    findSlots(text)
      .filter((s) => s.end <= before)
      .pop() ?? null
  );
}

/** The slot that [start, end) selects exactly (the pick-list chooser opens on it), or null. */
export function slotAt(text: string, start: number, end: number): TemplateSlot | null {
  return findSlots(text).find((s) => s.start === start && s.end === end) ?? null;
}

/** A line that starts a report section in a macro's text: "Findings:" (the section's title, any case). */
const HEADING = new RegExp(`^[ \\t]*(${SECTION_KEYS.map((k) => SECTION_TITLES[k]).join("|")})[ \\t]*:[ \\t]*`, "gim");

export interface MacroParts {
  /** Text before any section heading: inserted at the cursor. */
  body: string;
  /** Text under a section heading ("Findings:", "Impression:"): goes to that section. */
  sections: Partial<Record<SectionKey, string>>;
}

/** Splits a macro's text at its section headings (a template fills Findings and Impression at once). */
export function macroParts(text: string): MacroParts {
  const headings = [...text.matchAll(HEADING)];
  const body = text.slice(0, headings[0]?.index ?? text.length).trim();
  const sections: Partial<Record<SectionKey, string>> = {};
  headings.forEach((h, i) => {
    const title = (h[1] ?? "").toLowerCase();
    const key = SECTION_KEYS.find((k) => SECTION_TITLES[k].toLowerCase() === title) as SectionKey;
    const part = text.slice(h.index + h[0].length, headings[i + 1]?.index ?? text.length).trim();
    if (part) sections[key] = sections[key] ? `${sections[key]} ${part}` : part;
  });
  return { body, sections };
}

/** `insert` put in place of [start, end) of `text`, with a space either side where it would touch a word. */
export function insertAt(
  text: string,
  start: number,
  end: number,
  insert: string,
): { text: string; start: number; end: number } {
  const a = Math.max(0, Math.min(start, text.length));
  const b = Math.max(a, Math.min(end, text.length));
  const before = text.slice(0, a);
  const after = text.slice(b);
  const lead = before !== "" && !/\s$/.test(before) ? " " : "";
  const trail = after !== "" && !/^[\s.,;:!?)]/.test(after) ? " " : "";
  const at = before.length + lead.length;
  return { text: `${before}${lead}${insert}${trail}${after}`, start: at, end: at + insert.length };
}

export interface ReportCursor {
  section: SectionKey;
  start: number;
  end: number;
}

export interface AppliedMacro {
  sections: ReportSections;
  /** The sections the macro changed. */
  changed: SectionKey[];
  /** Where the cursor goes: the first slot the macro brought in, else the end of what it inserted. */
  cursor: ReportCursor;
}

/**
 * Inserts a macro into the report: its body at the cursor (replacing the selection); each section part into its
 * section (at the cursor when that is the cursor's section, filling an empty section, else after its text).
 */
export function applyMacro(sections: ReportSections, text: string, cursor: ReportCursor): AppliedMacro {
  const parts = macroParts(text);
  const next: ReportSections = { ...sections };
  const inserted: Partial<Record<SectionKey, { start: number; end: number }>> = {};
  const atCursor = [parts.body, parts.sections[cursor.section] ?? ""].filter(Boolean).join(" ");
  if (atCursor) {
    const r = insertAt(next[cursor.section], cursor.start, cursor.end, atCursor);
    next[cursor.section] = r.text;
    inserted[cursor.section] = { start: r.start, end: r.end };
  }
  for (const key of SECTION_KEYS) {
    const part = parts.sections[key];
    if (!part || key === cursor.section) continue;
    const current = next[key].replace(/\s+$/, "");
    const r = insertAt(current, current.length, current.length, part);
    next[key] = r.text;
    inserted[key] = { start: r.start, end: r.end };
  }
  const changed = SECTION_KEYS.filter((k) => inserted[k] !== undefined);
  // The first slot inserted, in the cursor's section first, then in report order.
  const order = [cursor.section, ...SECTION_KEYS.filter((k) => k !== cursor.section)];
  for (const key of order) {
    const range = inserted[key];
    if (!range) continue;
    const slot = findSlots(next[key]).find((s) => s.start >= range.start && s.end <= range.end);
    if (slot) return { sections: next, changed, cursor: { section: key, start: slot.start, end: slot.end } };
  }
  const first = order.find((k) => inserted[k]);
  const end = first ? (inserted[first]?.end ?? cursor.end) : cursor.end;
  return { sections: next, changed, cursor: { section: first ?? cursor.section, start: end, end } };
}

/** The built-in templates: always offered, to every account, and never edited or deleted. */
export interface BuiltInTemplate {
  key: string;
  name: string;
  text: string;
}

export const NORMAL_CHEST_TEMPLATE: BuiltInTemplate = {
  key: "normal-chest",
  name: "Normal chest",
  text: [
    "Findings:",
    "The heart is [normal|mildly enlarged] in size. The mediastinal contours are [normal|unremarkable]. " +
      "The lungs are clear [bilaterally|without focal consolidation]. There is no pleural effusion or pneumothorax. " +
      "[No acute osseous abnormality|Degenerative changes of the thoracic spine].",
    "Impression:",
    "[No acute cardiopulmonary abnormality|Normal chest radiograph].",
  ].join("\n"),
};

export const BUILT_IN_TEMPLATES: readonly BuiltInTemplate[] = [NORMAL_CHEST_TEMPLATE];
