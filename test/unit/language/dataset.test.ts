import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCsv } from "../../../src-main/services/language/csv";
import { parseAnnotation, parseReportLabelsCsv, uidOfStudyId } from "../../../src-main/services/language/iu-xray-data";
import {
  createManifest,
  DatasetInputError,
  loadAnnotationFile,
  loadIuXrayDataset,
  loadReportLabelsFile,
  writeManifest,
} from "../../../src-main/services/language/iu-xray-dataset";
import { CHEXPERT_OBSERVATIONS } from "../../../src-main/services/language/observations";

describe("CSV parsing", () => {
  it("handles quotes, escaped quotes, commas and newlines inside quotes, CRLF", () => {
    expect(parseCsv('a,b\r\n"x, y","he said ""hi"""\n"multi\nline",\n')).toEqual([
      ["a", "b"],
      ["x, y", 'he said "hi"'],
      ["multi\nline", ""],
    ]);
  });

  it("rejects malformed quoting with the line number", () => {
    expect(() => parseCsv('a,"b\n')).toThrow(/line 1: a quoted field is never closed/);
    expect(() => parseCsv('a,b\n1,"open\nmore\n')).toThrow(/line 2: a quoted field is never closed/);
    expect(() => parseCsv('a,b"c\n')).toThrow(/line 1: a quote inside an unquoted field/);
  });
});

describe("IU-Xray inputs", () => {
  it("takes the uid as the number after CXR", () => {
    expect(uidOfStudyId("CXR2384_IM-0942")).toBe(2384);
    expect(uidOfStudyId("CXR1072_IM-0052-1001")).toBe(1072);
    expect(() => uidOfStudyId("IM-0942")).toThrow(/CXR<number>/);
  });

  it("loads the bundled annotation (R2Gen split 2069 / 296 / 590) and all 3,851 labelled reports", () => {
    const annotation = loadAnnotationFile();
    expect([annotation.train.length, annotation.val.length, annotation.test.length]).toEqual([2069, 296, 590]);
    const labels = loadReportLabelsFile();
    expect(labels.size).toBe(3851);
    for (const split of ["train", "val", "test"] as const) {
      for (const study of annotation[split]) {
        const row = labels.get(uidOfStudyId(study.id));
        expect(row?.report, study.id).toBe(study.report);
      }
    }
    expect(labels.get(1)?.labels).toEqual([1, 0, 0, null, null, 0, 0, null, null, 0, 0, null, null, null]);
  });

  it("names the problem and the input for bad files", () => {
    expect(() => parseAnnotation({ train: [], val: [] }, "ann.json")).toThrow(
      /ann.json: not an R2Gen annotation \(test/,
    );
    expect(() =>
      parseAnnotation(
        { train: [{ id: "CXR1_X", report: "", image_path: ["a"], split: "test" }], val: [], test: [] },
        "a.json",
      ),
    ).toThrow(/a.json: study CXR1_X is listed under "train" but says "test"/);
    const header = `uid,Reports,${CHEXPERT_OBSERVATIONS.join(",")}`;
    expect(() => parseReportLabelsCsv("uid,Report\n", "l.csv")).toThrow(/l.csv: header must be/);
    expect(() => parseReportLabelsCsv(`${header}\n1,text,2${",".repeat(13)}\n`, "l.csv")).toThrow(
      /l.csv row 2 \(No Finding\): label "2" is not 1, 0, -1 or empty/,
    );
    expect(() => loadAnnotationFile("/nonexistent/annotation.json")).toThrow(DatasetInputError);
  });

  it("reads label cells as 1 / 0 / -1 (integer or float spelling) or blank, and nothing else", () => {
    const header = `uid,Reports,${CHEXPERT_OBSERVATIONS.join(",")}`;
    const cells = ["1", "0", "-1", "1.0", "0.0", "-1.0", "", " ", " 1 ", "-1", "0", "1", "", ""];
    const labels = parseReportLabelsCsv(`${header}\n7,text,${cells.join(",")}\n`, "l.csv");
    expect(labels.get(7)?.labels).toEqual([1, 0, -1, 1, 0, -1, null, null, 1, -1, 0, 1, null, null]);
    for (const cell of ["1.00", "+1", "01", "1e0", "0x1", "-0", "-0.0", ".0", "0.", "2", "NaN", "true"]) {
      expect(() => parseReportLabelsCsv(`${header}\n7,text,,${cell}${",".repeat(12)}\n`, "l.csv"), cell).toThrow(
        `l.csv row 2 (Enlarged Cardiomediastinum): label "${cell}" is not 1, 0, -1 or empty`,
      );
    }
    for (const uid of ["0", "+5", "1e1", "5.0", "x"]) {
      expect(() => parseReportLabelsCsv(`${header}\n${uid},text${",".repeat(14)}\n`, "l.csv"), uid).toThrow(
        `l.csv row 2: uid "${uid}" is not a positive integer`,
      );
    }
  });
});

describe("dataset loader and manifest", () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "iu-xray-"));
    const annotation = loadAnnotationFile();
    for (const split of ["train", "val", "test"] as const) {
      for (const study of annotation[split]) {
        fs.mkdirSync(path.join(root, "images", study.id), { recursive: true });
        for (const image of study.image_path) fs.writeFileSync(path.join(root, "images", image), "");
      }
    }
    fs.rmSync(path.join(root, "images", "CXR2384_IM-0942", "1.png"));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("reports missing images by path and split", () => {
    const dataset = loadIuXrayDataset({ root });
    expect(dataset.missingImages).toEqual(["images/CXR2384_IM-0942/1.png"]);
    expect(dataset.studiesMissingImages).toEqual({ train: 1, val: 0, test: 0 });
  });

  it("writes the shared manifest format", () => {
    const dataset = loadIuXrayDataset({ root });
    const manifest = createManifest(dataset, "2026-01-01T00:00:00.000Z");
    const out = path.join(root, "manifest.json");
    writeManifest(manifest, out);
    const json = JSON.parse(fs.readFileSync(out, "utf8"));
    expect(json.format).toBe("radiology-draft/dataset-manifest@1");
    expect(json.dataset).toBe("iu_xray");
    expect(json.root).toBe(root);
    expect(json.observations).toEqual([...CHEXPERT_OBSERVATIONS]);
    expect(json.tokenizer).toMatchObject({
      kind: "r2gen-iu-xray",
      threshold: 3,
      max_seq_length: 60,
      bos_id: 0,
      eos_id: 0,
      pad_id: 0,
      unk_token: "<unk>",
    });
    expect(json.tokenizer.idx2token).toHaveLength(761);
    expect(json.studies).toHaveLength(2955);
    const first = json.studies[0];
    expect(first).toMatchObject({
      id: "CXR2384_IM-0942",
      split: "train",
      images: ["images/CXR2384_IM-0942/0.png", "images/CXR2384_IM-0942/1.png"],
    });
    expect(first.clean.startsWith("the heart size and pulmonary vascularity")).toBe(true);
    expect(first.token_ids[0]).toBe(0);
    expect(first.token_ids.at(-1)).toBe(0);
    expect(first.token_ids.slice(1, 4).map((id: number) => json.tokenizer.idx2token[id])).toEqual([
      "the",
      "heart",
      "size",
    ]);
    expect(first.labels).toHaveLength(14);
    expect(json.studies.every((s: { token_ids: number[] }) => s.token_ids.length <= 60)).toBe(true);
    expect(json.missing_images).toEqual(["images/CXR2384_IM-0942/1.png"]);
  });

  it("refuses a root that is not a folder", () => {
    expect(() => loadIuXrayDataset({ root: path.join(root, "nope") })).toThrow(/dataset root is not a folder/);
  });
});
