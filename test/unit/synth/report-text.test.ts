import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../../src-main/services/language/csv";
import {
  lobesOf,
  ReportText,
  severityOf,
  sideOf,
  sizeCmOf,
  splitSentences,
  zonesOf,
} from "../../../src-main/services/language/report-mentions";
import { OBSERVATIONS, readReportLabels } from "../../../tools/synth/dataset";
import { SynthInputError } from "../../../tools/synth/errors";

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

describe("report-labels.csv input", () => {
  const header = `uid,Reports,${OBSERVATIONS.join(",")}`;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "synth-labels-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function labelsOf(text: string) {
    const file = path.join(dir, "labels.csv");
    writeFileSync(file, text);
    return readReportLabels(file);
  }

  it("reads quoted reports (commas, quotes, newlines) with the language toolkit's CSV parser", () => {
    const rows = parseCsv('uid,Reports\n1,"a, ""b""\nc"\n2,plain\n');
    expect(rows).toEqual([
      ["uid", "Reports"],
      ["1", 'a, "b"\nc'],
      ["2", "plain"],
    ]);
  });

  it("keys the labels by uid and names each observation", async () => {
    const labels = await labelsOf(`${header}\n12,"No effusion, no pneumothorax.",1,,0,-1.0,1.0${",".repeat(9)}\n`);
    expect([...labels.keys()]).toEqual([12]);
    expect(labels.get(12)).toMatchObject({
      "No Finding": 1,
      "Enlarged Cardiomediastinum": null,
      Cardiomegaly: 0,
      "Lung Lesion": -1,
      "Lung Opacity": 1,
      "Support Devices": null,
    });
  });

  it("reports bad input as a SynthInputError naming the file, the row and the problem", async () => {
    const file = path.join(dir, "labels.csv");
    const errorOf = (text: string) =>
      labelsOf(text).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    const cases: Array<[string, string]> = [
      [`${header}\n1,text,2${",".repeat(13)}\n`, `${file} row 2 (No Finding): label "2" is not 1, 0, -1 or empty`],
      [`${header}\n1,"open\n`, `${file}: CSV line 2: a quoted field is never closed`],
      [`${header}\n1,text\n`, `${file} row 2: 2 columns, expected 16`],
      [`${header}\n3,a${",".repeat(14)}\n3,b${",".repeat(14)}\n`, `${file} row 3: uid 3 appears twice`],
    ];
    for (const [text, message] of cases) {
      const error = await errorOf(text);
      expect(error, message).toBeInstanceOf(SynthInputError);
      expect(error?.message).toBe(message);
    }
    expect(await errorOf("uid,Report\n")).toBeInstanceOf(SynthInputError);
    await expect(readReportLabels(path.join(dir, "missing.csv"))).rejects.toThrow(/cannot read the IU-Xray labels/);
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
