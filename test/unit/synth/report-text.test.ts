import { describe, expect, it } from "vitest";
import { parseCsv } from "../../../tools/synth/csv";
import {
  lobesOf,
  ReportText,
  severityOf,
  sideOf,
  sizeCmOf,
  splitSentences,
  zonesOf,
} from "../../../tools/synth/report-text";

const ANY = /\b(?:effusion|pneumothorax|atelectasis|opacity|nodule|consolidation|cardiomegaly)\b/;

function mention(report: string, pattern: RegExp) {
  return new ReportText(report, ANY).mentions(pattern);
}

describe("report text reading", () => {
  it("splits sentences at full stops but not inside numbers", () => {
    expect(splitSentences("Heart normal. A 2.5 cm nodule.No effusion")).toEqual([
      "Heart normal.",
      "A 2.5 cm nodule",
      "No effusion",
    ]);
  });

  it("does not affirm negated findings", () => {
    const negated = [
      "No pleural effusion or pneumothorax.",
      "Lungs are clear without pneumothorax.",
      "No focal consolidation, pneumothorax, or pleural effusion identified.",
      "Negative for pneumothorax.",
      "The previously seen left effusion has resolved.",
      "Pneumothorax is not seen.",
      "There is no evidence of a pleural effusion.",
    ];
    for (const report of negated) {
      const all = mention(report, /\b(?:effusion|pneumothorax)\b/);
      expect(all.length, report).toBeGreaterThan(0);
      expect(
        all.every((m) => m.negated),
        report,
      ).toBe(true);
    }
  });

  it("affirms findings next to negated ones and after pseudo-negations", () => {
    const [m] = mention("No pneumothorax. Small right pleural effusion.", /\beffusion\b/);
    expect(m!.negated).toBe(false);
    const [n] = mention("No change in the small left effusion.", /\beffusion\b/);
    expect(n!.negated).toBe(false);
    const [o] = mention("No focal consolidation, there is a small left effusion.", /\beffusion\b/);
    expect(o!.negated).toBe(false);
  });

  it("marks hedged mentions uncertain", () => {
    const [m] = mention("Left basilar opacity may represent atelectasis.", /\batelectasis\b/);
    expect(m!.uncertain).toBe(true);
    const [n] = mention("Cannot exclude early pulmonary edema.", /\bedema\b/);
    expect(n).toMatchObject({ negated: false, uncertain: true });
  });

  it("reads side, lobe, zone, severity and size from the words around a mention", () => {
    const [effusion] = mention("There is a small right pleural effusion and left basilar atelectasis.", /\beffusion\b/);
    expect(sideOf(effusion!.context)).toBe("right");
    expect(severityOf(effusion!.context)).toBe("mild");
    const [atelectasis] = mention(
      "There is a small right pleural effusion and left basilar atelectasis.",
      /\batelectasis\b/,
    );
    expect(sideOf(atelectasis!.context)).toBe("left");
    expect(zonesOf(atelectasis!.context)).toEqual(["lower"]);
    expect(lobesOf("Well circumscribed 11 mm right upper lobe nodule")).toEqual(["RUL"]);
    expect(sizeCmOf("Well circumscribed 11 mm right upper lobe nodule")).toBeCloseTo(1.1);
    expect(sideOf("Small bilateral pleural effusions, right greater than left")).toBe("bilateral");
    expect(severityOf("moderate to severe cardiomegaly")).toBe("marked");
    expect(severityOf("mild to moderate cardiomegaly")).toBe("moderate");
  });
});

describe("csv", () => {
  it("parses quoted fields with commas, quotes and newlines", () => {
    const rows = parseCsv('uid,Reports\n1,"a, ""b""\nc"\n2,plain\n', "inline");
    expect(rows.map((r) => r.fields)).toEqual([
      ["uid", "Reports"],
      ["1", 'a, "b"\nc'],
      ["2", "plain"],
    ]);
    expect(rows[2]!.line).toBe(4);
  });

  it("names the input and line on malformed quotes", () => {
    expect(() => parseCsv('a,b\n1,"open\n', "labels.csv")).toThrow(/labels\.csv: line 2: unterminated/);
  });
});

describe("side words that are not a location", () => {
  it("ignores the decubitus projection and shift direction", () => {
    expect(sideOf("Small 3.3 mm right-sided pneumothorax only visible on the left lateral decubitus film")).toBe(
      "right",
    );
    expect(sideOf("Minimal right-to-left mediastinal shift with a large right pneumothorax")).toBe("right");
  });
});
