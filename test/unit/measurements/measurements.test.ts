/**
 * Measurements (issue 17.2) on real shared DICOMs and a real case database: values and calibration (SIIM's Pixel
 * Spacing 0.168 mm, CR-MONO1 without spacing, RG1's "0.000\0.000"), create / edit / delete, persistence across a
 * restart, locking at signing, the report sentence, and the signed exports: DICOM SR (Enhanced SR, TID 1500 style
 * NUM items, checked by dciodvfy and dsrdump), PDF (pdftotext) and plain text.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../../src-main/ipc/router";
import { createCallerFactory } from "../../../src-main/ipc/trpc";
import { ENHANCED_SR_SOP_CLASS } from "../../../src-main/services/export/dicom-sr";
import { readSrReport } from "../../../src-main/services/pacs/sr-report";
import {
  calibrationFromSpacing,
  MeasurementDraftSchema,
  type MeasurementKind,
  measurementSentence,
  measurementSummary,
  measurementValues,
  UNCALIBRATED,
} from "../../../src-shared/measurements";
import { FixedReportTestEngine } from "../../support/fixed-report-test-engine";
import {
  dicomStudy,
  insertStudy,
  jobSettled,
  makeReportsHarness,
  type ReportsHarness,
  readDicomIds,
  SHARED_DICOM_DIR,
  signInRadiologist,
} from "../../support/report-fixtures";

const hasTool = (tool: string) => spawnSync("which", [tool]).status === 0;
const out = fs.mkdtempSync(path.join(os.tmpdir(), "rd-measure-"));
const CALIBRATED = "siim-study";
const UNCAL = "cr-study";
const SIIM = "SIIM_CR_chest_JPEGBaseline.dcm";
const imageOf = (study: string) => `${study}-image-0`;
/** Cardiac width 400 px inside a thoracic width of 800 px; a 3-4-5 line of 500 px. */
const CTR_POINTS = [
  { x: 300, y: 500 },
  { x: 700, y: 500 },
  { x: 100, y: 600 },
  { x: 900, y: 600 },
];
const LINE = [
  { x: 0, y: 0 },
  { x: 300, y: 400 },
];

describe("values and calibration", () => {
  const pixel = { source: "PixelSpacing", rowSpacingMm: 0.168, columnSpacingMm: 0.168 } as const;

  it("reads Pixel Spacing, else Imager Pixel Spacing, and treats zero spacing as none", () => {
    expect(calibrationFromSpacing([0.168, 0.168], [])).toEqual(pixel);
    expect(calibrationFromSpacing([], [0.1, 0.12])).toEqual({
      source: "ImagerPixelSpacing",
      rowSpacingMm: 0.1,
      columnSpacingMm: 0.12,
    });
    expect(calibrationFromSpacing([0, 0], [])).toEqual(UNCALIBRATED);
    expect(calibrationFromSpacing([Number.NaN], [])).toEqual(UNCALIBRATED);
  });

  it("computes length, angle, ellipse area and the cardiothoracic ratio", () => {
    expect(measurementValues("length", LINE, pixel).value).toBeCloseTo(84, 6);
    expect(measurementValues("length", LINE, UNCALIBRATED)).toMatchObject({
      value: 500,
      unit: "px",
    });
    const angle = measurementValues(
      "angle",
      [
        { x: 10, y: 0 },
        { x: 0, y: 0 },
        { x: 0, y: 10 },
      ],
      pixel,
    );
    expect(angle).toMatchObject({ unit: "deg" });
    expect(angle.value).toBeCloseTo(90, 9);
    // Anisotropic spacing changes the angle in the patient plane.
    const skew = { source: "PixelSpacing", rowSpacingMm: 0.2, columnSpacingMm: 0.1 } as const;
    expect(
      measurementValues(
        "angle",
        [
          { x: 10, y: 0 },
          { x: 0, y: 0 },
          { x: 10, y: 10 },
        ],
        skew,
      ).value,
    ).toBeCloseTo((Math.atan(2) * 180) / Math.PI, 9);
    const ellipse = measurementValues(
      "ellipse",
      [
        { x: 0, y: 0 },
        { x: 100, y: 50 },
      ],
      pixel,
    );
    expect(ellipse.unit).toBe("mm2");
    expect(ellipse.value).toBeCloseTo((Math.PI * 16.8 * 8.4) / 4, 6);
    const ctr = measurementValues("ctr", CTR_POINTS, pixel);
    expect(ctr.value).toBeCloseTo(0.5, 9);
    expect(ctr.parts.map((p) => [p.name, Number(p.value.toFixed(1)), p.unit])).toEqual([
      ["cardiac width", 67.2, "mm"],
      ["thoracic width", 134.4, "mm"],
    ]);
    expect(() =>
      measurementValues(
        "ctr",
        [
          { x: 0, y: 0 },
          { x: 5, y: 0 },
          { x: 9, y: 0 },
          { x: 9, y: 3 },
        ],
        pixel,
      ),
    ).toThrow(/thoracic width/);
  });

  it("writes one sentence per measurement, stating the calibration", () => {
    const ctr = {
      kind: "ctr" as const,
      label: "",
      stats: null,
      calibration: pixel,
      values: measurementValues("ctr", CTR_POINTS, pixel),
    };
    expect(measurementSentence(ctr)).toBe(
      "Cardiothoracic ratio 0.50 (cardiac width 67.2 mm, thoracic width 134.4 mm; Pixel Spacing 0.168 × 0.168 mm).",
    );
    const length = {
      kind: "length" as const,
      label: "Right pleural effusion depth",
      stats: null,
      calibration: UNCALIBRATED,
      values: measurementValues(
        "length",
        [
          { x: 0, y: 0 },
          { x: 30, y: 40 },
        ],
        UNCALIBRATED,
      ),
    };
    expect(measurementSentence(length)).toBe(
      "Right pleural effusion depth: length 50.0 pixels (uncalibrated: the image states no pixel spacing).",
    );
  });

  it("gives a probe its modality value and stored pixel value, in its summary and sentence", () => {
    const reading = { stored: 2000, modality: 976 };
    const values = measurementValues("probe", [{ x: 10, y: 20 }], pixel, reading);
    expect(values).toEqual({
      value: 976,
      unit: "value",
      parts: [{ name: "stored value", value: 2000, unit: "value" }],
    });
    expect(() => measurementValues("probe", [{ x: 10, y: 20 }], pixel)).toThrow(/reading/);
    const probe = { kind: "probe" as const, label: "Apex", stats: null, calibration: pixel, values };
    expect(measurementSummary(probe)).toBe("Probe 976 (stored 2000)");
    expect(measurementSentence(probe)).toBe("Apex: probe value 976 (modality value; stored pixel value 2000).");
    const fraction = measurementValues("probe", [{ x: 0, y: 0 }], UNCALIBRATED, { stored: 7, modality: -1.255 });
    expect(measurementSummary({ kind: "probe", stats: null, values: fraction })).toBe("Probe -1.25 (stored 7)");
  });

  it("refuses drafts whose points do not fit the kind, and statistics on a line", () => {
    const base = { studyId: "s", imageId: "i" };
    const twoPoints = [
      { x: 0, y: 0 },
      { x: 1, y: 1 },
    ];
    const refused = [
      { kind: "angle", points: twoPoints },
      { kind: "length", points: twoPoints, stats: { mean: 1, sd: 0, pixels: 3 } },
      { kind: "length", points: [{ x: 0, y: Number.NaN }, twoPoints[1]] },
      { kind: "probe", points: [{ x: 1, y: 1 }] },
      { kind: "probe", points: twoPoints, reading: { stored: 1, modality: 1 } },
      { kind: "length", points: twoPoints, reading: { stored: 1, modality: 1 } },
      { kind: "probe", points: [{ x: 1, y: 1 }], reading: { stored: Number.NaN, modality: 1 } },
    ];
    for (const [i, draft] of refused.entries()) {
      expect(MeasurementDraftSchema.safeParse({ ...base, ...draft }).success, `draft ${i}`).toBe(false);
    }
    const probe = { ...base, kind: "probe", points: [{ x: 1, y: 1 }], reading: { stored: 1, modality: -1023 } };
    expect(MeasurementDraftSchema.safeParse(probe).success).toBe(true);
  });
});

describe("the measurements service on a real case database", () => {
  let h: ReportsHarness;
  beforeAll(async () => {
    h = makeReportsHarness({ engine: new FixedReportTestEngine({ reportId: "CXR1451_IM-0291" }) });
    insertStudy(h.db, dicomStudy(CALIBRATED, SIIM));
    insertStudy(h.db, dicomStudy(UNCAL));
    insertStudy(h.db, dicomStudy("rg1-study", "RG1_CR_chest_J2KI.dcm"));
  });
  afterAll(() => h.close());
  const measure = (
    study: string,
    kind: MeasurementKind,
    points: Array<{ x: number; y: number }>,
    extra: {
      stats?: { mean: number; sd: number; pixels: number };
      reading?: { stored: number; modality: number };
      label?: string;
    } = {},
  ) => h.measurements.create({ studyId: study, imageId: imageOf(study), kind, points, ...extra });

  it("takes the calibration from the file: SIIM 0.168 mm, CR-MONO1 none, RG1's zero spacing none", () => {
    const a = measure(CALIBRATED, "length", [
      { x: 100, y: 100 },
      { x: 400, y: 500 },
    ]);
    expect(a.calibration).toEqual({ source: "PixelSpacing", rowSpacingMm: 0.168, columnSpacingMm: 0.168 });
    expect(a.values.unit).toBe("mm");
    expect(a.values.value).toBeCloseTo(84, 6);
    const b = measure(UNCAL, "length", [
      { x: 0, y: 0 },
      { x: 30, y: 40 },
    ]);
    expect(b.calibration).toEqual(UNCALIBRATED);
    expect(b.values).toMatchObject({ value: 50, unit: "px" });
    const c = measure("rg1-study", "length", [
      { x: 0, y: 0 },
      { x: 3, y: 4 },
    ]);
    expect(c.calibration.source).toBe("none");
    console.log(
      `calibration: ${SIIM} ${a.values.value.toFixed(1)} mm; CR-MONO1 ${b.values.value} px; RG1 ${c.calibration.source}`,
    );
  });

  it("refuses an image of another study and a missing study, naming them", () => {
    expect(() =>
      h.measurements.create({
        studyId: CALIBRATED,
        imageId: imageOf(UNCAL),
        kind: "length",
        points: [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
      }),
    ).toThrow(`image ${imageOf(UNCAL)} is not an image of study ${CALIBRATED}`);
    expect(() => h.measurements.list("nope")).toThrow("study nope does not exist");
  });

  it("edits and deletes, audited, and keeps them across a restart", () => {
    const roi = measure(
      CALIBRATED,
      "ellipse",
      [
        { x: 200, y: 200 },
        { x: 300, y: 260 },
      ],
      { stats: { mean: 812.5, sd: 40.25, pixels: 4700 }, label: "Left upper zone" },
    );
    const angle = measure(CALIBRATED, "angle", [
      { x: 10, y: 0 },
      { x: 0, y: 0 },
      { x: 0, y: 10 },
    ]);
    const edited = h.measurements.update({
      id: roi.id,
      points: [
        { x: 200, y: 200 },
        { x: 400, y: 260 },
      ],
      label: "LUZ",
    });
    expect(edited.label).toBe("LUZ");
    expect(edited.values.value).toBeCloseTo((Math.PI * 33.6 * 10.08) / 4, 6);
    expect(edited.stats).toEqual({ mean: 812.5, sd: 40.25, pixels: 4700 });
    expect(() =>
      h.measurements.update({
        id: angle.id,
        points: [
          { x: 0, y: 0 },
          { x: 1, y: 1 },
        ],
      }),
    ).toThrow(/3 points/);
    h.measurements.delete(angle.id);
    expect(() => h.measurements.get(angle.id)).toThrow(/does not exist/);
    const actions = (
      h.db.prepare("SELECT action FROM audit_log WHERE study_id = ? ORDER BY id").all(CALIBRATED) as Array<{
        action: string;
      }>
    ).map((r) => r.action);
    expect(actions.filter((a) => a.startsWith("measurement."))).toEqual([
      "measurement.created",
      "measurement.created",
      "measurement.created",
      "measurement.edited",
      "measurement.deleted",
    ]);
    const before = h.measurements.list(CALIBRATED);
    h = h.restart({ engine: new FixedReportTestEngine({ reportId: "CXR1451_IM-0291" }) });
    expect(h.measurements.list(CALIBRATED)).toEqual(before);
    expect(before.map((m) => m.kind)).toEqual(["length", "ellipse"]);
  });

  it("goes over the typed IPC contract with its zod validation", async () => {
    // The router answers a signed-in account only (src-main/ipc/sign-in-gate.ts).
    await signInRadiologist(h);
    const caller = createCallerFactory(appRouter)({
      services: { measurements: h.measurements, accounts: h.accounts },
    } as never);
    const listed = await caller.measurements.list({ studyId: CALIBRATED });
    expect(listed).toHaveLength(2);
    await expect(
      caller.measurements.create({
        studyId: CALIBRATED,
        imageId: imageOf(CALIBRATED),
        kind: "ctr",
        points: [],
      } as never),
    ).rejects.toThrow(/points/);
    await expect(caller.measurements.delete({ id: 999999 })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("locks the measurements into the signed report and carries them into the SR, the PDF and the text", async () => {
    measure(CALIBRATED, "ctr", CTR_POINTS);
    const probe = measure(CALIBRATED, "probe", [{ x: 500, y: 400 }], { reading: { stored: 143, modality: 143 } });
    expect(probe.calibration.source).toBe("PixelSpacing");
    const moved = h.measurements.update({
      id: probe.id,
      points: [{ x: 510, y: 400 }],
      reading: { stored: 150, modality: 150 },
    });
    expect(moved.values).toMatchObject({ value: 150, parts: [{ name: "stored value", value: 150 }] });
    expect(() => h.measurements.update({ id: probe.id, points: [] })).toThrow(/1 points/);
    h.reports.open(CALIBRATED);
    await jobSettled(h, CALIBRATED);
    await signInRadiologist(h);
    h.reports.sign(
      CALIBRATED,
      { version: h.reports.state(CALIBRATED).draft!.version, attestUntouchedAi: true },
      h.accounts.session().account,
    );
    const signed = h.measurements.list(CALIBRATED);
    expect(signed.every((m) => m.signedReportId !== null)).toBe(true);
    expect(() => h.measurements.delete(signed[0]!.id)).toThrow(/signed with the report/);
    expect(() => h.measurements.update({ id: signed[0]!.id, label: "x" })).toThrow(/locked/);
    expect(() =>
      measure(CALIBRATED, "length", [
        { x: 0, y: 0 },
        { x: 1, y: 1 },
      ]),
    ).toThrow(/is signed/);
    // The database refuses it too (triggers), whatever the caller.
    expect(() => h.db.prepare("DELETE FROM measurements WHERE id = ?").run(signed[0]!.id)).toThrow(/signed report/);

    const sentences = signed.map(measurementSentence);
    const text = Buffer.from((await h.reports.export(CALIBRATED, "text")).base64, "base64").toString("utf8");
    for (const s of sentences) expect(text).toContain(s);

    const sr = await h.reports.export(CALIBRATED, "dicom-sr");
    const srFile = path.join(out, sr.fileName);
    fs.writeFileSync(srFile, Buffer.from(sr.base64, "base64"));
    if (hasTool("dsrdump")) {
      const dump = spawnSync("dsrdump", ["+Pl", "+U8", srFile], { encoding: "utf8" });
      expect(dump.status).toBe(0);
      // dcmtk 3.6.7's VR checker cannot check UTF-8 strings and says so; nothing else may be reported.
      expect(dump.stderr.split("\n").filter((l) => l.trim() && !l.includes("VR checker does not support"))).toEqual([]);
      expect(dump.stdout).toContain("Enhanced SR Document");
      expect(dump.stdout).toContain('<contains CONTAINER:(,,"Imaging Measurements")=SEPARATE>');
      expect(dump.stdout).toMatch(/<contains NUM:\(,,"Length"\)="84" \(mm,UCUM,"millimeter"\)>/);
      expect(dump.stdout).toMatch(/<contains NUM:\(,,"Cardiothoracic ratio"\)="0\.5" \(\{ratio\},UCUM,"ratio"\)>/);
      expect(dump.stdout).toMatch(/<contains NUM:\(,,"Mean"\)="812\.5" \(1,UCUM,"no units"\)>/);
      expect(dump.stdout).toMatch(/<contains NUM:\(,,"Modality pixel value at a point"\)="150" \(1,UCUM,"no units"\)>/);
      expect(dump.stdout).toMatch(/<contains NUM:\(,,"Stored pixel value at a point"\)="150" \(1,UCUM,"no units"\)>/);
      const ids = readDicomIds(path.join(SHARED_DICOM_DIR, SIIM));
      expect(dump.stdout).toContain('<inferred from IMAGE:(,,"Source of Measurement")=(SC image,)>');
      expect(ids.sopClassUid).toBe("1.2.840.10008.5.1.4.1.1.7");
      expect(fs.readFileSync(srFile).includes(Buffer.from(ids.sopInstanceUid))).toBe(true);
      console.log(
        `SR: ${(dump.stdout.match(/contains NUM/g) ?? []).length} NUM items, ${(dump.stdout.match(/inferred from IMAGE/g) ?? []).length} image references`,
      );
    }
    // Read back as a prior's report (PACS): the findings stay the indexed text, the measurements their own section.
    const back = readSrReport(fs.readFileSync(srFile));
    expect(back.text).toBe(h.reports.state(CALIBRATED).signed!.sections.findings);
    expect(back.sections.find((x) => x.heading === "Imaging Measurements")?.text).toContain(sentences[0]!.slice(0, 12));
    if (hasTool("dciodvfy")) {
      const check = spawnSync("dciodvfy", [srFile], { encoding: "utf8" });
      const report = `${check.stdout}\n${check.stderr}`;
      expect(report).toContain("EnhancedSR");
      const errors = report.split("\n").filter((l) => /^Error/.test(l));
      console.log(`dciodvfy on the measured SR: ${errors.length} errors`);
      expect(errors).toEqual([]);
    }
    expect(fs.readFileSync(srFile).includes(Buffer.from(ENHANCED_SR_SOP_CLASS))).toBe(true);

    if (hasTool("pdftotext")) {
      const pdf = await h.reports.export(CALIBRATED, "pdf");
      const pdfFile = path.join(out, pdf.fileName);
      fs.writeFileSync(pdfFile, Buffer.from(pdf.base64, "base64"));
      const pdfText = execFileSync("pdftotext", [pdfFile, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
      expect(pdfText).toContain("MEASUREMENTS");
      for (const s of sentences) expect(pdfText).toContain(s);
    }
  });
});
