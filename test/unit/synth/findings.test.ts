import { beforeAll, describe, expect, it } from "vitest";
import { findingSignature, findingsOf, type StudyFindings } from "../../../src-main/services/language/report-findings";
import { type IuStudy, loadIuStudies, OBSERVATIONS, type Observation } from "../../../tools/synth/dataset";

let studies: IuStudy[];
let findings: StudyFindings[];

beforeAll(async () => {
  ({ studies } = await loadIuStudies());
  findings = studies.map(findingsOf);
});

function study(report: string, labels: Partial<Record<Observation, 1 | 0 | -1 | null>> = {}): IuStudy {
  const all = Object.fromEntries(OBSERVATIONS.map((o) => [o, null])) as Record<Observation, 1 | 0 | -1 | null>;
  return {
    id: "CXR99999_IM-0001",
    uid: 99999,
    split: "test",
    report,
    imagePaths: ["a", "b"],
    labels: { ...all, ...labels },
  };
}

describe("findings from labels and report text (real IU-Xray data)", () => {
  it("loads every annotated study with its label row", () => {
    expect(studies.length).toBe(2955);
    expect(new Set(studies.map((s) => s.split))).toEqual(new Set(["train", "val", "test"]));
  });

  it("renders nothing for a report that only mentions negatives", () => {
    const s = study("No pneumothorax or pleural effusion. Heart size normal. No focal consolidation.", {
      "No Finding": 1,
      Pneumothorax: 0,
      "Pleural Effusion": 0,
      Cardiomegaly: 0,
      Consolidation: 0,
    });
    expect(findingsOf(s).spec.findings).toEqual([]);
  });

  it("grades positive as positive and uncertain as uncertain, with the stated side and severity", () => {
    const s = study("Small right pleural effusion. Possible left lower lobe pneumonia.", {
      "Pleural Effusion": 1,
      Pneumonia: -1,
    });
    const f = findingsOf(s).spec.findings;
    expect(f.find((x) => x.kind === "pleural-effusion")).toMatchObject({
      certainty: "positive",
      side: "right",
      severity: "mild",
    });
    expect(f.find((x) => x.kind === "pneumonia")).toMatchObject({
      certainty: "uncertain",
      side: "left",
      lobes: ["LLL"],
    });
  });

  it("does not render a positive label whose every mention the report negates (labeler error)", () => {
    const s = study("The heart size is normal. No pleural effusions or pneumothorax.", {
      Pneumothorax: 1,
      Cardiomegaly: 1,
    });
    const result = findingsOf(s);
    expect(result.spec.findings).toEqual([]);
    expect(result.suppressed.map((x) => x.observation).sort()).toEqual(["Cardiomegaly", "Pneumothorax"]);
  });

  it("finds visible findings that have no label in the text", () => {
    const f = findingsOf(
      study(
        "Calcified granuloma in the right upper lobe. Degenerative changes of the thoracic spine. Large hiatal hernia.",
      ),
    ).spec.findings;
    expect(f.map((x) => x.kind).sort()).toEqual(["calcified-granuloma", "degenerative-spine", "hiatal-hernia"]);
    expect(f.find((x) => x.kind === "hiatal-hernia")!.severity).toBe("marked");
    expect(findingsOf(study("No hiatal hernia. No degenerative change.")).spec.findings).toEqual([]);
  });

  it("keeps report words out of the render spec: only enumerated attributes", () => {
    const allowed = new Set([
      "kind",
      "certainty",
      "source",
      "side",
      "lobes",
      "zones",
      "position",
      "severity",
      "count",
      "sizeCm",
      "ribNumber",
      "healed",
      "variant",
    ]);
    for (const f of findings.flatMap((x) => x.spec.findings)) {
      for (const [key, value] of Object.entries(f)) {
        expect(allowed.has(key), key).toBe(true);
        if (typeof value === "string") expect(value.length).toBeLessThan(40);
      }
    }
  });

  it("gives the studies with the most common report (no findings) one shared empty signature", () => {
    const empty = findings.filter((f) => findingSignature(f.spec.findings) === "");
    expect(empty.length).toBeGreaterThan(900);
    const withPneumothoraxWord = empty.filter((f) =>
      /pneumothorax/i.test(studies.find((s) => s.id === f.spec.id)!.report),
    );
    expect(withPneumothoraxWord.length).toBeGreaterThan(300);
    expect(empty.length - withPneumothoraxWord.length).toBeGreaterThan(100);
  });

  it("reads the effusion side from the reports of positive studies", () => {
    const effusions = findings
      .flatMap((x) => x.spec.findings)
      .filter((f) => f.kind === "pleural-effusion" && f.certainty === "positive");
    expect(effusions.length).toBeGreaterThan(40);
    const sided = effusions.filter((f) => f.side);
    expect(sided.length / effusions.length).toBeGreaterThan(0.7);
  });
});
