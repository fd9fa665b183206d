import { describe, expect, it } from "vitest";
import { labelReport, splitReportSentences } from "../../../src-main/services/language/clinical-labeler";
import { loadReportLabelsFile } from "../../../src-main/services/language/iu-xray-dataset";
import { measureLabelerAgreement } from "../../../src-main/services/language/labeler-benchmark";
import { CHEXPERT_OBSERVATIONS, type ObservationName } from "../../../src-main/services/language/observations";
import { cleanReportIuXray } from "../../../src-main/services/language/r2gen-cleaning";

const value = (report: string, observation: ObservationName) =>
  labelReport(report).labels[CHEXPERT_OBSERVATIONS.indexOf(observation)];

describe("clinical labeler rules", () => {
  it("splits raw and R2Gen-cleaned text into the same sentences", () => {
    expect(splitReportSentences("Heart size normal. Lungs clear.")).toEqual(["heart size normal", "lungs clear"]);
    expect(splitReportSentences("heart size normal . lungs clear .")).toEqual(["heart size normal", "lungs clear"]);
    expect(splitReportSentences("A 1.5 cm nodule.")).toEqual(["a 1.5 cm nodule"]);
  });

  it("negates listed findings after 'no'", () => {
    const report = "No pneumothorax or pleural effusion.";
    expect(value(report, "Pneumothorax")).toBe(0);
    expect(value(report, "Pleural Effusion")).toBe(0);
    expect(value(report, "Consolidation")).toBeNull();
  });

  it("labels positive, uncertain and post-negated mentions", () => {
    expect(value("Mild cardiomegaly.", "Cardiomegaly")).toBe(1);
    expect(value("Cannot exclude pneumonia.", "Pneumonia")).toBe(-1);
    expect(value("Pneumothorax is not identified.", "Pneumothorax")).toBe(0);
    expect(value("Small right pleural effusion.", "Pleural Effusion")).toBe(1);
    expect(value("Possible small nodule in the right upper lobe.", "Lung Lesion")).toBe(-1);
  });

  it("puts uncertainty on what a finding may represent, not on the finding", () => {
    const report = "Left basilar opacities may represent atelectasis.";
    expect(value(report, "Lung Opacity")).toBe(1);
    expect(value(report, "Atelectasis")).toBe(-1);
  });

  it("reads cardiac and mediastinal descriptors from their qualifiers", () => {
    expect(value("Heart size is normal.", "Cardiomegaly")).toBe(0);
    expect(value("The heart is upper limits of normal in size.", "Cardiomegaly")).toBe(1);
    expect(value("Stable cardiomediastinal silhouette.", "Enlarged Cardiomediastinum")).toBe(-1);
    expect(value("The cardiomediastinal silhouette is within normal limits.", "Enlarged Cardiomediastinum")).toBe(0);
    expect(
      value("Heart size, mediastinal contour, and pulmonary vascularity are within normal limits.", "Cardiomegaly"),
    ).toBe(0);
  });

  it("sets No Finding only without pathology and without other abnormal findings", () => {
    expect(value("The lungs are clear. No pneumothorax or effusion. Heart size normal.", "No Finding")).toBe(1);
    expect(value("The lungs are clear. Calcified granuloma.", "No Finding")).toBeNull();
    expect(value("Small left pleural effusion.", "No Finding")).toBeNull();
    expect(value("Lungs are clear. Pacemaker in place.", "No Finding")).toBe(1);
    expect(value("Lungs are clear. Pacemaker in place.", "Support Devices")).toBe(1);
  });

  it("labels R2Gen-cleaned text the same way", () => {
    const raw = "No pneumothorax, pleural effusion, or focal consolidation. Mild cardiomegaly.";
    expect(labelReport(cleanReportIuXray(raw)).labels).toEqual(labelReport(raw).labels);
  });

  it("explains each decision with the mention and the rule", () => {
    const { mentions } = labelReport("No pleural effusion.");
    expect(mentions).toContainEqual(
      expect.objectContaining({ observation: "Pleural Effusion", phrase: "effusion", value: 0, rule: "negation: no" }),
    );
  });
});

describe("agreement with the CheXpert labels of all IU-Xray reports", () => {
  const rows = [...loadReportLabelsFile().values()];

  it("reaches at least 0.90 four-way agreement on every observation over the 3,851 reports", () => {
    expect(rows).toHaveLength(3851);
    const agreement = measureLabelerAgreement(rows.map((row) => ({ report: row.report, labels: row.labels })));
    for (const entry of agreement.perObservation) {
      expect(entry.agreement, entry.observation).toBeGreaterThanOrEqual(0.9);
    }
  });

  it("keeps the target on the R2Gen-cleaned text of the same reports", () => {
    const agreement = measureLabelerAgreement(
      rows.map((row) => ({ report: cleanReportIuXray(row.report), labels: row.labels })),
    );
    expect(agreement.minimum).toBeGreaterThanOrEqual(0.9);
  });
});
