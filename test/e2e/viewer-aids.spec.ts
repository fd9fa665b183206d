/// <reference lib="dom" />
/**
 * The viewer's reading aids in Chromium through the loopback harness, on real DICOMs: the shared RG1 chest (JPEG 2000,
 * Patient Orientation L\F, sequences) and a file written at test time from the reference CR chest's real pixels
 * (rescale slope 2 / intercept −1024, Image Orientation (Patient), private tags). Orientation markers follow rotate
 * and flip; the magnifier follows the cursor; the pixel value under the cursor matches the file's stored value and
 * its rescale; the tag browser searches by tag and name, expands sequences and labels private tags; each is a
 * command with a rebindable key in the help overlay. Screenshots: test-results/viewer-tags.png and test-results/viewer/aids-*.png.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Locator, type Page, test } from "@playwright/test";
import dicomParser from "dicom-parser";
import { type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";
import { PRIVATE_CREATOR, writeReadingAidFixture } from "../support/reading-aid-fixtures";
import { consoleErrorsOf, displayedSpread, importPaths, openStudy } from "../support/viewer-page";

const root = path.resolve(import.meta.dirname, "..", "..");
const rg1 = path.resolve(root, "../shared/data/dicom/RG1_CR_chest_J2KI.dcm");
const shots = path.join(root, "test-results", "viewer");

let harness: HarnessProcess;
let fixture: string;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-aids-"));
  fixture = writeReadingAidFixture(fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-aids-files-")));
  harness = await startSignedInHarnessProcess(dataDir, ["--no-demo-studies"]);
});

test.afterAll(async () => {
  await harness?.stop();
});

const frontal = (page: Page) => page.locator('section.viewport[data-view="frontal"]');

async function open(page: Page, patient: string): Promise<Locator> {
  await openStudy(page, page.locator(".worklist-row", { hasText: patient }));
  const viewport = frontal(page);
  await expect(viewport).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  return viewport;
}

const markers = (page: Page) =>
  Promise.all(
    (["top", "right", "bottom", "left"] as const).map((edge) =>
      page.getByTestId(`frontal-marker-${edge}`).textContent(),
    ),
  ).then((m) => m.join(" "));

test("imports the two files", async ({ page }) => {
  await page.goto(harness.url);
  const result = await importPaths(page, [rg1, fixture]);
  expect(result).toMatch(/2 image/);
});

test("orientation markers follow rotate and flip (o hides them)", async ({ page }) => {
  const errors = consoleErrorsOf(page);
  await page.goto(harness.url);
  const viewport = await open(page, "CompressedSamples");
  await expect(page.getByTestId("frontal-markers")).toHaveAttribute("data-source", "Patient Orientation");
  expect(await markers(page)).toBe("H L F R");
  await page.keyboard.press("]");
  await expect(viewport).toHaveAttribute("data-rotation", "90");
  expect(await markers(page)).toBe("R H L F");
  await page.keyboard.press("h");
  await expect(viewport).toHaveAttribute("data-hflip", "true");
  expect(await markers(page)).toBe("L H R F");
  await page.keyboard.press("v");
  await expect(viewport).toHaveAttribute("data-vflip", "true");
  expect(await markers(page)).toBe("L F R H");
  await page.keyboard.press("[");
  await page.keyboard.press("[");
  await expect(viewport).toHaveAttribute("data-rotation", "270");
  expect(await markers(page)).toBe("R H L F");
  await viewport.screenshot({ path: path.join(shots, "aids-markers-rotated-flipped.png") });
  await page.keyboard.press("0");
  await expect(viewport).toHaveAttribute("data-rotation", "0");
  expect(await markers(page)).toBe("H L F R");
  await page.keyboard.press("o");
  await expect(page.getByTestId("frontal-markers")).toBeHidden();
  await page.keyboard.press("o");
  await expect(page.getByTestId("frontal-markers")).toBeVisible();

  // The second file's directions come from Image Orientation (Patient) 1\0\0\0\0\-1 (coronal: rows L, columns F).
  await open(page, "Reading, Aids");
  await expect(page.getByTestId("frontal-markers")).toHaveAttribute("data-source", "Image Orientation (Patient)");
  expect(await markers(page)).toBe("H L F R");
  expect(errors).toEqual([]);
});

test("the pixel value under the cursor is the file's stored value and its rescale (u)", async ({ page }) => {
  const errors = consoleErrorsOf(page);
  // The file's own stored values, read here with dicom-parser.
  const ds = dicomParser.parseDicom(new Uint8Array(fs.readFileSync(fixture)));
  const columns = ds.uint16("x00280011")!;
  const storedAt = (x: number, y: number) => ds.uint16("x7fe00010", y * columns + x) ?? Number.NaN;

  await page.goto(harness.url);
  const viewport = await open(page, "Reading, Aids");
  await page.keyboard.press("u");
  const readout = page.getByTestId("frontal-pixel-value");
  await expect(readout).toContainText("move the cursor");
  const box = (await viewport.boundingBox())!;
  const check = async (fx: number, fy: number) => {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 3 });
    await expect(readout).toHaveAttribute("data-x", /\d+/);
    const x = Number(await readout.getAttribute("data-x"));
    const y = Number(await readout.getAttribute("data-y"));
    const stored = storedAt(x, y);
    await expect(readout).toHaveAttribute("data-stored", String(stored));
    await expect(readout).toHaveAttribute("data-modality", String(stored * 2 - 1024));
    await expect(readout).toContainText(`stored ${stored} · rescaled ${stored * 2 - 1024}`);
    return { x, y };
  };
  const centre = await check(0.5, 0.5);
  expect(Math.abs(centre.x - 220)).toBeLessThanOrEqual(2);
  expect(Math.abs(centre.y - 220)).toBeLessThanOrEqual(2);
  const upperLeft = await check(0.4, 0.3);
  // Rotated clockwise, the same screen point shows another pixel; it still reads the file's value there.
  await page.keyboard.press("]");
  await expect(viewport).toHaveAttribute("data-rotation", "90");
  await page.mouse.move(box.x + 1, box.y + 1);
  const rotated = await check(0.4, 0.3);
  expect(rotated).not.toEqual(upperLeft);
  // Screen left of centre is the image's bottom after a clockwise turn; screen above centre is the image's left.
  expect(rotated.y).toBeGreaterThan(220);
  expect(rotated.x).toBeLessThan(220);
  await viewport.screenshot({ path: path.join(shots, "aids-pixel-value.png") });
  await page.keyboard.press("u");
  await expect(readout).toBeHidden();
  expect(errors).toEqual([]);
});

test("the magnifier follows the cursor and shows the image enlarged (g)", async ({ page }) => {
  const errors = consoleErrorsOf(page);
  await page.goto(harness.url);
  const viewport = await open(page, "CompressedSamples");
  await page.keyboard.press("g");
  const lens = page.getByTestId("frontal-magnifier");
  await expect(lens).toHaveAttribute("data-visible", "false");
  const box = (await viewport.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.45, { steps: 3 });
  await expect(lens).toHaveAttribute("data-visible", "true");
  const lensBox = (await lens.boundingBox())!;
  // Centred on the cursor.
  expect(Math.abs(lensBox.x + lensBox.width / 2 - (box.x + box.width * 0.35))).toBeLessThan(2);
  const stats = await displayedSpread(lens);
  expect(stats.width).toBeGreaterThan(100);
  expect(stats.mean).toBeGreaterThan(10);
  expect(stats.std).toBeGreaterThan(3);
  await viewport.screenshot({ path: path.join(shots, "aids-magnifier.png") });
  await page.mouse.move(box.x - 20, box.y - 20);
  await expect(lens).toHaveAttribute("data-visible", "false");
  await page.keyboard.press("g");
  await expect(lens).toBeHidden();
  expect(errors).toEqual([]);
});

test("the DICOM tag browser searches by tag and name, expands sequences and labels private tags (Ctrl+I)", async ({
  page,
}) => {
  const errors = consoleErrorsOf(page);
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(harness.url);
  await open(page, "CompressedSamples");
  await page.keyboard.press("Control+i");
  const dialog = page.getByRole("dialog", { name: "DICOM tags" });
  await expect(dialog).toContainText("RG1_CR_chest_J2KI.dcm");
  await expect(dialog.getByTestId("tag-count")).toContainText("top-level elements", { timeout: 30_000 });
  // The file as imported, not the viewer's transcoded copy: its transfer syntax is JPEG 2000.
  await expect(dialog.locator('tr[data-tag="(0002,0010)"] .value')).toHaveText("1.2.840.10008.1.2.4.91");
  const search = dialog.getByRole("searchbox", { name: "Search tags by tag or name" });
  await search.fill("0020,0020");
  await expect(dialog.locator('tr[data-tag="(0020,0020)"]')).toContainText("PatientOrientation");
  await expect(dialog.locator('tr[data-tag="(0020,0020)"] .value')).toHaveText("L\\F");
  await search.fill("patient orientation");
  await expect(dialog.locator("tbody tr")).toHaveCount(1);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  await open(page, "Reading, Aids");
  await page.keyboard.press("Control+i");
  await expect(dialog).toContainText("reading-aids-CR.dcm");
  await expect(dialog.getByTestId("tag-count")).toContainText("top-level elements", { timeout: 30_000 });
  // Sequences: collapsed, then expanded by their button.
  const sequence = dialog.locator('tr[data-tag="(0008,2112)"]');
  await expect(sequence).toContainText("SourceImageSequence");
  await expect(dialog.locator('tr[data-tag="(0008,1155)"]')).toHaveCount(0);
  await sequence.getByRole("button", { name: "Expand SourceImageSequence" }).click();
  await expect(dialog.locator('tr[data-tag="(0008,1155)"][data-depth="1"]')).toBeVisible();
  const nested = dialog.locator('tr[data-tag="(0040,A170)"]');
  await nested.getByRole("button", { name: "Expand PurposeOfReferenceCodeSequence" }).click();
  await expect(dialog.locator('tr[data-tag="(0008,0104)"][data-depth="2"] .value')).toHaveText(
    "Uncompressed predecessor",
  );
  // Private tags: labelled, with their creator.
  const privateRow = dialog.locator('tr[data-tag="(0009,1001)"]');
  await expect(privateRow).toHaveAttribute("data-private", "true");
  await expect(privateRow).toContainText("Private");
  await expect(privateRow).toContainText(`Private tag of "${PRIVATE_CREATOR}"`);
  await expect(privateRow.locator(".value")).toHaveText("private note");
  await expect(dialog.locator('tr[data-tag="(0009,0010)"] .value')).toHaveText(PRIVATE_CREATOR);
  await expect(dialog.locator('tr[data-tag="(0028,1053)"]')).toContainText("RescaleSlope");
  await page.screenshot({ path: "test-results/viewer-tags.png" });
  // A search inside a sequence opens the sequences on the way.
  await sequence.getByRole("button", { name: "Collapse SourceImageSequence" }).click();
  const search2 = dialog.getByRole("searchbox", { name: "Search tags by tag or name" });
  await search2.fill("CodeMeaning");
  await expect(dialog.locator('tr[data-tag="(0008,0104)"] .value')).toHaveText("Uncompressed predecessor");
  await expect(dialog.getByTestId("tag-count")).toHaveText("1 match");
  await search2.fill("(0009");
  await expect(dialog.locator('tbody tr[data-private="true"]')).toHaveCount(3);
  await page.screenshot({ path: path.join(shots, "aids-tags-private.png") });
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  expect(errors).toEqual([]);
});

test("each aid is a command in the help overlay with a rebindable key", async ({ page }) => {
  await page.goto(harness.url);
  await open(page, "CompressedSamples");
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  for (const [command, key] of [
    ["viewer.orientationMarkers", "o"],
    ["viewer.magnifier", "g"],
    ["viewer.pixelValue", "u"],
    ["viewer.tags", "Ctrl+I"],
  ] as const) {
    await expect(help.locator(`tr[data-command="${command}"] kbd`)).toHaveText(key);
  }
  const row = help.locator('tr[data-command="viewer.pixelValue"]');
  await row.getByRole("button", { name: /Change the key/ }).click();
  await page.keyboard.press("Alt+v");
  await expect(row.locator("kbd")).toHaveText("Alt+V");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await page.keyboard.press("Alt+v");
  await expect(page.getByTestId("frontal-pixel-value")).toBeVisible();
  await page.keyboard.press("u");
  await expect(page.getByTestId("frontal-pixel-value")).toBeVisible();
  await page.keyboard.press("Alt+v");
  await expect(page.getByTestId("frontal-pixel-value")).toBeHidden();
  await page.keyboard.press("?");
  await row.getByRole("button", { name: /Restore the default/ }).click();
  await expect(row.locator("kbd")).toHaveText("u");
  await page.keyboard.press("Escape");
});
