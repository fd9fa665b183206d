/**
 * Template slots and macro insertion (issue 18.4): the one slot parser (src-shared/templates.ts) that the editor's
 * Tab, the pick-list chooser and the sign-off safeguards (issue 18.2) share; a macro's text split into sections;
 * insertion at the report cursor; the built-in normal chest template.
 */
import { describe, expect, it } from "vitest";
import { checkSignOff } from "../../../src-main/services/language/sign-off-checks";
import { EMPTY_SECTIONS, type ReportSections } from "../../../src-shared/report-types";
import {
  applyMacro,
  findSlots,
  insertAt,
  macroParts,
  NORMAL_CHEST_TEMPLATE,
  nextSlot,
  previousSlot,
  slotAt,
} from "../../../src-shared/templates";

describe("findSlots", () => {
  it("finds pick-lists with their options and every kind of blank, in reading order", () => {
    const text = "A [left|right] effusion of [___] ml, [ ] and [...] or […], ___ and [ small | | large ].";
    expect(findSlots(text).map((s) => [s.kind, s.text, s.options])).toEqual([
      ["pick-list", "[left|right]", ["left", "right"]],
      ["blank", "[___]", []],
      ["blank", "[ ]", []],
      ["blank", "[...]", []],
      ["blank", "[…]", []],
      ["blank", "___", []],
      ["pick-list", "[ small | | large ]", ["small", "large"]],
    ]);
    const [first] = findSlots(text);
    expect(text.slice(first!.start, first!.end)).toBe("[left|right]");
  });

  it("leaves ordinary brackets, a pick-list holding underscores is one slot", () => {
    expect(findSlots("Heart size [measured] normal. Two __ underscores. [a\n|b]")).toEqual([]);
    expect(findSlots("[___|none]").map((s) => s.kind)).toEqual(["pick-list"]);
  });

  it("Tab and Shift+Tab: the next slot from the cursor, the previous before it, the one selected", () => {
    const text = "The [a|b] and [___] and [c|d].";
    const [a, blank, c] = findSlots(text);
    expect(nextSlot(text, 0)).toEqual(a);
    // With a slot selected, Tab moves past it.
    expect(nextSlot(text, a!.end)).toEqual(blank);
    expect(nextSlot(text, c!.end)).toBeNull();
    expect(previousSlot(text, c!.start)).toEqual(blank);
    expect(previousSlot(text, a!.start)).toBeNull();
    expect(slotAt(text, c!.start, c!.end)).toEqual(c);
    expect(slotAt(text, c!.start, c!.end - 1)).toBeNull();
  });

  it("is what signing refuses: every slot is a sign-off issue at the same place", () => {
    const findings = "There is a small [left|right] pleural effusion measuring [___] cm.";
    const issues = checkSignOff({ ...EMPTY_SECTIONS, findings, impression: "Effusion." });
    expect(issues.map((i) => [i.code, i.start, i.end])).toEqual(
      findSlots(findings).map((s) => [s.kind, s.start, s.end]),
    );
    expect(issues[1]?.message).toBe(
      'Findings: the template blank [___] in "There is a small [left|right] pleural effusion measuring [___] cm." is not filled in; write the value or remove the sentence',
    );
  });
});

describe("macro text and insertion", () => {
  it("splits a macro at its section headings; text before them is the body", () => {
    expect(macroParts("Small [left|right] effusion.")).toEqual({ body: "Small [left|right] effusion.", sections: {} });
    expect(macroParts("See below.\nfindings: Clear lungs.\nIMPRESSION:\nNormal.\nFindings: No effusion.")).toEqual({
      body: "See below.",
      sections: { findings: "Clear lungs. No effusion.", impression: "Normal." },
    });
  });

  it("inserts at the cursor with spaces where words would touch, replacing the selection", () => {
    expect(insertAt("Heart normal.Lungs clear.", 13, 13, "No effusion.")).toEqual({
      text: "Heart normal. No effusion. Lungs clear.",
      start: 14,
      end: 26,
    });
    expect(insertAt("A [a|b] c", 2, 7, "left").text).toBe("A left c");
    expect(insertAt("", 0, 0, "x")).toEqual({ text: "x", start: 0, end: 1 });
    expect(insertAt("end", 3, 3, "x").text).toBe("end x");
  });

  it("a macro goes in at the cursor and selects its first slot", () => {
    const sections: ReportSections = { ...EMPTY_SECTIONS, findings: "The lungs are clear." };
    const applied = applyMacro(sections, "Small [left|right] effusion.", { section: "findings", start: 20, end: 20 });
    expect(applied.sections.findings).toBe("The lungs are clear. Small [left|right] effusion.");
    expect(applied.changed).toEqual(["findings"]);
    const { start, end } = applied.cursor;
    expect(applied.sections.findings.slice(start, end)).toBe("[left|right]");
    // Without slots the cursor ends up after the text.
    const plain = applyMacro(sections, "No effusion.", { section: "findings", start: 0, end: 0 });
    expect(plain.sections.findings).toBe("No effusion. The lungs are clear.");
    expect(plain.cursor).toEqual({ section: "findings", start: 12, end: 12 });
  });

  it("the normal chest template fills Findings and Impression, the cursor on its first pick-list", () => {
    const sections: ReportSections = { ...EMPTY_SECTIONS, indication: "Cough.", impression: "Old text." };
    const applied = applyMacro(sections, NORMAL_CHEST_TEMPLATE.text, { section: "indication", start: 6, end: 6 });
    expect(applied.changed).toEqual(["findings", "impression"]);
    expect(applied.sections.indication).toBe("Cough.");
    expect(applied.sections.findings).toMatch(/^The heart is \[normal\|mildly enlarged\] in size\./);
    expect(applied.sections.impression).toBe(
      "Old text. [No acute cardiopulmonary abnormality|Normal chest radiograph].",
    );
    expect(applied.cursor.section).toBe("findings");
    expect(applied.sections.findings.slice(applied.cursor.start, applied.cursor.end)).toBe("[normal|mildly enlarged]");
    // Every slot of the template is a pick-list, and an untouched template cannot be signed.
    const slots = [...findSlots(applied.sections.findings), ...findSlots(applied.sections.impression)];
    expect(slots.map((s) => s.kind)).toEqual(Array(5).fill("pick-list"));
    expect(checkSignOff(applied.sections).filter((i) => i.code === "pick-list")).toHaveLength(5);
  });
});
