/// <reference lib="dom" />
/**
 * Measurements with cornerstone-tools (issue 17.2) in Chromium through the loopback harness, on real DICOMs: the
 * SIIM CR chest (JPEG baseline, Pixel Spacing 0.168 mm) and the CR-MONO1 chest (no spacing: uncalibrated). Drawn
 * with the mouse after each tool's key: length, angle, elliptical ROI, the cardiothoracic ratio, a probe (its
 * stored and modality value); each is stored with the study in SQLite with the values main computes (checked against the drag in
 * image pixels and the file's spacing); a handle dragged edits it, a label is edited in the list, Alt+M inserts the
 * sentence at the report's cursor; a reload shows them again, Delete removes the selected one; signing exports them
 * into the DICOM SR (dsrdump, dciodvfy) and the PDF (pdftotext). Screenshot: test-results/viewer-measurements.png.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Locator, type Page, test } from "@playwright/test";
import { calibrationLabel, measurementSentence, measurementSummary } from "../../src-shared/measurements";
import { FixedReportTestEngine } from "../support/fixed-report-test-engine";
import { ADA_SIGNER, servicesPerTest, shotPath } from "../support/in-process-harness";
import { downloadExports } from "../support/report-exports";
import { dicomStudy, insertStudy } from "../support/report-fixtures";
import { signAsAccount } from "../support/report-page";
import { consoleErrorsOf, openStudy } from "../support/viewer-page";

const run = servicesPerTest();
const SIIM = "SIIM_CR_chest_JPEGBaseline.dcm";
const hasTool = (tool: string) => spawnSync("which", [tool]).status === 0;

const frontal = (page: Page) => page.locator('section.viewport[data-view="frontal"]');
const panel = (page: Page) => page.getByRole("region", { name: "Measurements" });
const rows = (page: Page) => panel(page).locator(".measurement-row");

async function open(
  page: Page,
  studyId: string,
): Promise<{ viewport: Locator; cx: number; cy: number; scale: number }> {
  await openStudy(page, page.locator(`.worklist-row[data-study-id="${studyId}"]`));
  const viewport = frontal(page);
  await expect(viewport).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  const box = (await viewport.locator(".viewport-canvas").boundingBox())!;
  const scale = Number(await viewport.getAttribute("data-scale"));
  return { viewport, cx: Math.round(box.x + box.width / 2), cy: Math.round(box.y + box.height / 2), scale };
}

async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  await page.mouse.move(from[0], from[1]);
  await page.mouse.down();
  await page.mouse.move(to[0], to[1], { steps: 12 });
  await page.mouse.up();
}

async function click(page: Page, at: [number, number]): Promise<void> {
  await page.mouse.move(at[0], at[1], { steps: 6 });
  await page.mouse.down();
  await page.mouse.up();
}

test("length, angle, ROI, CTR and probe drawn, stored, edited, inserted, kept across a reload, deleted, exported", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const services = run.services("measure", {
    draftEngine: new FixedReportTestEngine({ reportId: "CXR1451_IM-0291" }),
  });
  insertStudy(services.db, { ...dicomStudy("siim-study", SIIM), patientName: "Measure^Siim", patientId: "M-1" });
  insertStudy(services.db, { ...dicomStudy("cr-study"), patientName: "Measure^Plain", patientId: "M-2" });
  const harness = await run.serve();
  const errors = consoleErrorsOf(page);
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(harness.url);

  // The calibration as the overlay states it: SIIM's Pixel Spacing.
  const { viewport, cx, cy, scale } = await open(page, "siim-study");
  const spacing = { source: "PixelSpacing", rowSpacingMm: 0.168, columnSpacingMm: 0.168 } as const;
  await expect(page.getByTestId("frontal-calibration")).toHaveText(calibrationLabel(spacing));
  await expect(panel(page)).toContainText("Measurements (0)");
  const stored = () => services.measurements.list("siim-study");

  // Length: a 200 px (screen) horizontal drag.
  await page.keyboard.press("l");
  await expect(viewport).toHaveAttribute("data-tool", "length");
  await expect(page.locator('[data-command="viewer.tool.length"]')).toHaveAttribute("aria-pressed", "true");
  await drag(page, [cx - 100, cy - 120], [cx + 100, cy - 120]);
  await expect(rows(page)).toHaveCount(1);
  const length = stored()[0]!;
  expect(length.kind).toBe("length");
  expect(length.calibration).toEqual(spacing);
  expect(length.values.unit).toBe("mm");
  // The stored points are the drag in image pixels (the fitted scale), the value their distance × 0.168 mm.
  expect(length.values.value).toBeGreaterThan((200 / scale) * 0.168 * 0.97);
  expect(length.values.value).toBeLessThan((200 / scale) * 0.168 * 1.03);
  await expect(rows(page).first()).toContainText(`Length ${length.values.value.toFixed(1)} mm`);

  // Angle: one arm dragged up from the vertex, the other's end clicked to the right: a right angle.
  await page.keyboard.press("a");
  await drag(page, [cx - 150, cy - 40], [cx - 150, cy + 60]);
  await click(page, [cx - 50, cy + 60]);
  await expect(rows(page)).toHaveCount(2);
  const angle = stored()[1]!;
  expect(angle.kind).toBe("angle");
  expect(angle.values.value).toBeGreaterThan(87);
  expect(angle.values.value).toBeLessThan(93);

  // Elliptical ROI: area and the mean / SD of the pixel values inside.
  await page.keyboard.press("e");
  await drag(page, [cx + 20, cy - 60], [cx + 140, cy + 20]);
  await expect(rows(page)).toHaveCount(3);
  const roi = stored()[2]!;
  expect(roi.kind).toBe("ellipse");
  expect(roi.stats).not.toBeNull();
  const axes = { w: 120 / scale, h: 80 / scale };
  expect(roi.stats!.pixels).toBeGreaterThan(Math.PI * (axes.w / 2) * (axes.h / 2) * 0.85);
  expect(roi.stats!.pixels).toBeLessThan(Math.PI * (axes.w / 2) * (axes.h / 2) * 1.15);
  expect(roi.stats!.sd).toBeGreaterThan(0);
  expect(roi.values.unit).toBe("mm2");
  await expect(rows(page).nth(2)).toContainText(/ROI area \d+ mm², mean \d+\.\d, SD \d+\.\d/);

  // Cardiothoracic ratio: cardiac width dragged (100 px, drawn level), thoracic width clicked (250 px): 0.40.
  await page.keyboard.press("c");
  await drag(page, [cx - 50, cy + 110], [cx + 50, cy + 118]);
  await click(page, [cx - 125, cy + 150]);
  await click(page, [cx + 125, cy + 156]);
  await expect(rows(page)).toHaveCount(4);
  const ctr = stored()[3]!;
  expect(ctr.kind).toBe("ctr");
  expect(ctr.values.value).toBeGreaterThan(0.38);
  expect(ctr.values.value).toBeLessThan(0.42);
  // Both widths are horizontal.
  expect(ctr.points[1]!.y).toBe(ctr.points[0]!.y);
  expect(ctr.points[3]!.y).toBe(ctr.points[2]!.y);
  await expect(rows(page).nth(3)).toContainText(`CTR ${ctr.values.value.toFixed(2)}`);

  // Probe: the stored and modality value at a point, stored with its one point and the image's calibration.
  await page.keyboard.press("p");
  await click(page, [cx - 160, cy - 150]);
  await expect(rows(page)).toHaveCount(5);
  const probe = stored()[4]!;
  expect(probe.kind).toBe("probe");
  expect(probe.points).toHaveLength(1);
  expect(probe.calibration).toEqual(spacing);
  expect(Number.isInteger(probe.reading!.stored)).toBe(true);
  expect(probe.values.value).toBe(probe.reading!.modality);
  await expect(rows(page).nth(4)).toContainText(measurementSummary(probe));
  await page.keyboard.press("w");
  await expect(viewport).toHaveAttribute("data-tool", "windowLevel");
  expect(stored()).toHaveLength(5);
  console.log(`stored: ${stored().map(measurementSummary).join(" | ")} (fitted scale ${scale.toFixed(3)})`);
  await page.screenshot({ path: shotPath("viewer-measurements.png") });

  // Edit: the length's right end dragged 50 px further (W/L mode: the handle takes the press, not W/L).
  const ww = await viewport.getAttribute("data-ww");
  await drag(page, [cx + 100, cy - 120], [cx + 150, cy - 120]);
  await expect.poll(() => services.measurements.get(length.id).values.value).toBeGreaterThan(length.values.value * 1.2);
  expect(await viewport.getAttribute("data-ww")).toBe(ww);
  const edited = services.measurements.get(length.id);
  expect(edited.values.value).toBeCloseTo(length.values.value * 1.25, 0);
  // A label, edited in the list.
  await rows(page).first().getByRole("textbox").fill("Carina to clavicle");
  await page.keyboard.press("Enter");
  await expect.poll(() => services.measurements.get(length.id).label).toBe("Carina to clavicle");

  // Insert measurement: the selected one's sentence at the cursor in Findings.
  const findings = page.getByTestId("report-findings");
  await expect(findings).toBeEditable({ timeout: 60_000 });
  await rows(page).nth(3).click();
  await expect(rows(page).nth(3)).toHaveAttribute("aria-current", "true");
  await findings.focus();
  await findings.press("End");
  await page.keyboard.press("Alt+m");
  const sentence = measurementSentence(services.measurements.get(ctr.id));
  expect(sentence).toMatch(/^Cardiothoracic ratio 0\.\d\d \(cardiac width .* mm, thoracic width .* mm; Pixel Spacing/);
  await expect(findings).toHaveValue(new RegExp(`${sentence.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));

  // A reload (the renderer starts again): the measurements are read back from the case database and drawn.
  await page.reload();
  const again = await open(page, "siim-study");
  await expect(rows(page)).toHaveCount(5);
  await expect(again.viewport).toHaveAttribute("data-measurements", "5");
  await expect(rows(page).nth(4)).toContainText(measurementSummary(probe));
  await expect(rows(page).first()).toContainText(`Length ${edited.values.value.toFixed(1)} mm`);
  await expect(rows(page).first().getByRole("textbox")).toHaveValue("Carina to clavicle");
  await expect(page.getByTestId("report-findings")).toHaveValue(/Cardiothoracic ratio 0\.\d\d/);

  // Delete: the angle selected in the list, then the Delete key.
  await rows(page).nth(1).click();
  await page.keyboard.press("Delete");
  await expect(rows(page)).toHaveCount(4);
  expect(stored().map((m) => m.kind)).toEqual(["length", "ellipse", "ctr", "probe"]);
  await expect(again.viewport).toHaveAttribute("data-measurements", "4");

  // Signing locks them into the signed record; the SR carries TID 1500-style NUM items, the PDF the sentences.
  await signAsAccount(page, ADA_SIGNER, { attestUntouchedAi: true });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-measure-out-"));
  const files = await downloadExports(page, out);
  if (hasTool("dsrdump")) {
    const dump = spawnSync("dsrdump", ["+Pl", "+U8", files.sr], { encoding: "utf8" });
    expect(dump.status).toBe(0);
    expect(dump.stdout).toContain('<contains CONTAINER:(,,"Imaging Measurements")=SEPARATE>');
    expect(dump.stdout).toMatch(/<contains NUM:\(,,"Length"\)="[\d.]+" \(mm,UCUM,"millimeter"\)>/);
    expect(dump.stdout).toMatch(/<contains NUM:\(,,"Cardiothoracic ratio"\)="0\.\d+" \(\{ratio\},UCUM,"ratio"\)>/);
    expect(dump.stdout).toMatch(/<contains NUM:\(,,"Mean"\)="[\d.]+"/);
    expect(dump.stdout).toContain(
      `<contains NUM:(,,"Modality pixel value at a point")="${probe.reading!.modality}" (1,UCUM,"no units")>`,
    );
    expect(dump.stdout).toContain(
      `<contains NUM:(,,"Stored pixel value at a point")="${probe.reading!.stored}" (1,UCUM,"no units")>`,
    );
    // Length 1, area, mean and SD 3, CTR and its widths 3, probe 2.
    expect((dump.stdout.match(/contains NUM/g) ?? []).length).toBe(9);
    expect(dump.stdout).toContain('<inferred from IMAGE:(,,"Source of Measurement")');
    console.log(
      `SR: ${(dump.stdout.match(/contains NUM/g) ?? []).length} NUM items, ${(dump.stdout.match(/inferred from IMAGE/g) ?? []).length} image references`,
    );
  }
  if (hasTool("dciodvfy")) {
    const check = spawnSync("dciodvfy", [files.sr], { encoding: "utf8" });
    const report = `${check.stdout}\n${check.stderr}`;
    const errorLines = report.split("\n").filter((l) => /^Error/.test(l));
    console.log(`dciodvfy on the SR: ${errorLines.length} errors`);
    expect(errorLines).toEqual([]);
  }
  if (hasTool("pdftotext")) {
    const pdfText = execFileSync("pdftotext", [files.pdf, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
    expect(pdfText).toContain("MEASUREMENTS");
    for (const m of stored()) expect(pdfText).toContain(measurementSentence(m));
  }
  // Signed: locked in the list.
  await expect(rows(page).first()).toContainText("signed");

  // Without pixel spacing: "uncalibrated" in the overlay, lengths in pixels.
  const plain = await open(page, "cr-study");
  await expect(page.getByTestId("frontal-calibration")).toHaveText("Uncalibrated: no pixel spacing");
  await page.keyboard.press("l");
  await drag(page, [plain.cx - 80, plain.cy], [plain.cx + 80, plain.cy]);
  await expect(rows(page)).toHaveCount(1);
  const px = services.measurements.list("cr-study")[0]!;
  expect(px.calibration.source).toBe("none");
  expect(px.values.unit).toBe("px");
  await expect(rows(page).first()).toContainText(/Length [\d.]+ pixels/);
  await expect(rows(page).first()).toContainText("uncalibrated");
  console.log(`uncalibrated: ${measurementSummary(px)}`);

  expect(errors).toEqual([]);
});
