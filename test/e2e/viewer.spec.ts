/// <reference lib="dom" />
/**
 * The worklist import and the cornerstone viewer through the loopback harness, on the real files of
 * ../shared/data: every DICOM file is imported through the Import panel and must render correctly (non-blank,
 * sensible grey levels, lungs darker than the mediastinum — MONOCHROME1 inverted; the lossless transcodings identical
 * to the uncompressed original), the viewer tools and hotkeys work, a hotkey can be rebound, plain images import one
 * study per file, bad files are listed, and image bytes are only served by id with the token. Screenshots: test-results/.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Locator, type Page, test } from "@playwright/test";
import { type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";
import { consoleErrorsOf, importPaths, openStudy, stripFileNames } from "../support/viewer-page";

const root = path.resolve(import.meta.dirname, "..", "..");
const shared = path.resolve(root, "../shared/data");
const dicomDir = path.join(shared, "dicom");
const dicomFiles = fs
  .readdirSync(dicomDir)
  .filter((f) => f.endsWith(".dcm"))
  .sort();
const shots = path.join(root, "test-results", "viewer");

let harness: HarnessProcess;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-viewer-"));
  harness = await startSignedInHarnessProcess(dataDir, ["--no-demo-studies"]);
});

test.afterAll(async () => {
  await harness?.stop();
});

interface RenderStats {
  mean: number;
  std: number;
  distinct: number;
  lungs: number;
  mediastinum: number;
  /** Grey values of a 64x64 grid over the displayed image, to compare renders. */
  grid: number[];
  canvasWidth: number;
  canvasHeight: number;
  imageWidth: number;
  imageHeight: number;
  scale: number;
}

/** Reads the viewport's canvas over the displayed image (fitted, centred: cornerstone's default placement). */
async function renderStats(viewport: Locator): Promise<RenderStats> {
  return viewport.evaluate(async (section: HTMLElement) => {
    // cornerstone draws on animation frames: let a pending draw land first.
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const canvas = section.querySelector("canvas") as HTMLCanvasElement;
    const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
    const cw = canvas.width;
    const ch = canvas.height;
    const data = ctx.getImageData(0, 0, cw, ch).data;
    const iw = Number(section.dataset.imageWidth);
    const ih = Number(section.dataset.imageHeight);
    const scale = Number(section.dataset.scale);
    const x0 = (cw - iw * scale) / 2;
    const y0 = (ch - ih * scale) / 2;
    const grey = (x: number, y: number) => {
      const cx = Math.min(cw - 1, Math.max(0, Math.round(x0 + x * iw * scale)));
      const cy = Math.min(ch - 1, Math.max(0, Math.round(y0 + y * ih * scale)));
      const i = (cy * cw + cx) * 4;
      return 0.299 * (data[i] as number) + 0.587 * (data[i + 1] as number) + 0.114 * (data[i + 2] as number);
    };
    const region = (fx0: number, fy0: number, fx1: number, fy1: number) => {
      let sum = 0;
      let n = 0;
      for (let y = fy0; y <= fy1; y += (fy1 - fy0) / 20) {
        for (let x = fx0; x <= fx1; x += (fx1 - fx0) / 20) {
          sum += grey(x, y);
          n++;
        }
      }
      return sum / n;
    };
    const grid: number[] = [];
    const values = new Set<number>();
    let sum = 0;
    let sq = 0;
    for (let gy = 0; gy < 64; gy++) {
      for (let gx = 0; gx < 64; gx++) {
        const v = grey((gx + 0.5) / 64, (gy + 0.5) / 64);
        grid.push(v);
        values.add(Math.round(v));
        sum += v;
        sq += v * v;
      }
    }
    const mean = sum / grid.length;
    return {
      mean,
      std: Math.sqrt(Math.max(0, sq / grid.length - mean * mean)),
      distinct: values.size,
      // Patient's right and left lung fields, and the mediastinum / spine between them.
      lungs: (region(0.2, 0.3, 0.36, 0.6) + region(0.64, 0.3, 0.8, 0.6)) / 2,
      mediastinum: region(0.46, 0.3, 0.54, 0.6),
      grid,
      canvasWidth: cw,
      canvasHeight: ch,
      imageWidth: iw,
      imageHeight: ih,
      scale,
    };
  });
}

const frontal = (page: Page) => page.locator('section.viewport[data-view="frontal"]');

async function showImage(page: Page, fileName: string): Promise<Locator> {
  await page.locator(`.strip-image[data-file-name="${fileName}"]`).click();
  const viewport = frontal(page);
  await expect(viewport).toHaveAttribute("data-file-name", fileName);
  await expect(viewport).toHaveAttribute("data-state", /ready|error/, { timeout: 60_000 });
  const state = await viewport.getAttribute("data-state");
  if (state === "error") throw new Error(`${fileName}: ${await viewport.locator(".viewport-error").textContent()}`);
  return viewport;
}

test("imports every file of ../shared/data/dicom and each one displays correctly", async ({ page }) => {
  const consoleErrors = consoleErrorsOf(page);
  page.on("pageerror", (e) => consoleErrors.push(e.message));
  await page.goto(harness.url);
  await expect(page.getByTestId("worklist-empty")).toBeVisible();

  const summary = await importPaths(page, [dicomDir]);
  expect(summary).toContain(`${dicomFiles.length} files found: ${dicomFiles.length} images added, nothing failed`);
  const rows = page.locator(".worklist-row");
  await expect(rows).toHaveCount(4);
  await page.screenshot({ path: "test-results/viewer-import.png" });

  // Each study, each image in the frontal viewport.
  const stats = new Map<string, RenderStats>();
  const invertedFiles = new Set<string>();
  // The worklist's order is total and stable: rows do not move while drafts finish (docs/viewer.md).
  const studyIds = await rows.evaluateAll((els) => els.map((e) => e.dataset.studyId ?? ""));
  for (let r = 0; r < 4; r++) {
    await expect(rows.nth(r)).toHaveAttribute("data-study-id", studyIds[r] as string);
    const { strip } = await openStudy(page, rows.nth(r));
    const names = await stripFileNames(strip);
    for (const name of names) {
      const viewport = await showImage(page, name);
      await page.mouse.move(0, 0);
      const s = await renderStats(viewport);
      stats.set(name, s);
      if ((await viewport.getAttribute("data-invert")) === "true") invertedFiles.add(name);
      await viewport.screenshot({ path: path.join(shots, `${name.replace(/\.dcm$/, "")}.png`) });
    }
  }
  expect([...stats.keys()].sort()).toEqual(dicomFiles);
  expect(await rows.evaluateAll((els) => els.map((e) => e.dataset.studyId ?? ""))).toEqual(studyIds);

  for (const [name, s] of stats) {
    // Non-blank, sensible grey levels, a real image (many distinct values).
    expect(s.mean, `${name} mean`).toBeGreaterThan(35);
    expect(s.mean, `${name} mean`).toBeLessThan(220);
    expect(s.std, `${name} contrast`).toBeGreaterThan(25);
    expect(s.distinct, `${name} distinct grey values`).toBeGreaterThan(60);
    // Lungs (air) dark, mediastinum and spine bright: polarity right, MONOCHROME1 inverted.
    expect(s.lungs + 25, `${name} lungs ${s.lungs} vs mediastinum ${s.mediastinum}`).toBeLessThan(s.mediastinum);
    // Fitted without distortion: one scale for both axes, the whole image inside the canvas, touching two sides.
    const fitScale = Math.min(s.canvasWidth / s.imageWidth, s.canvasHeight / s.imageHeight);
    expect(Math.abs(s.scale - fitScale) / fitScale, `${name} fit`).toBeLessThan(0.02);
  }
  // The MONOCHROME1 files (the CR chest and its transcodings, RG1) display inverted; the MONOCHROME2 ones do not.
  const monochrome1 = dicomFiles.filter(
    (f) => f.startsWith("CR-MONO1") || f.startsWith("derived_CRchest") || f.startsWith("RG1"),
  );
  expect([...invertedFiles].sort()).toEqual(monochrome1.sort());

  // Lossless encodings render identically to the uncompressed original; lossy ones stay close.
  const reference = stats.get("CR-MONO1-10-chest_explicitLE.dcm")!;
  const diff = (name: string) => {
    const g = stats.get(name)!.grid;
    return g.reduce((sum, v, i) => sum + Math.abs(v - (reference.grid[i] as number)), 0) / g.length;
  };
  for (const name of [
    "CR-MONO1-10-chest_implicitLE.dcm",
    "derived_CRchest_explicitBE.dcm",
    "derived_CRchest_deflatedLE.dcm",
    "derived_CRchest_RLE.dcm",
    "derived_CRchest_JPEGLosslessSV1.dcm",
    "derived_CRchest_JPEGLossless_p14.dcm",
    "derived_CRchest_JPEGLS_lossless.dcm",
    "derived_CRchest_J2K_lossless.dcm",
  ]) {
    expect(diff(name), `${name} differs from the uncompressed original`).toBeLessThan(0.5);
  }
  for (const name of ["derived_CRchest_J2K_lossy.dcm", "derived_CRchest_JPEGLS_nearlossless.dcm"]) {
    expect(diff(name), `${name} differs too much from the original`).toBeLessThan(6);
  }
  expect(consoleErrors).toEqual([]);
});

test("viewer tools, hotkeys and the overlay act on the active viewport", async ({ page }) => {
  await page.goto(harness.url);
  await page.locator(".worklist-row", { hasText: "Anonymized" }).click();
  const viewport = await showImage(page, "CR-MONO1-10-chest_explicitLE.dcm");
  const wl = page.getByTestId("frontal-wl");
  // The file's own window, and the overlay says so.
  await expect(wl).toHaveText("W 1024 · L 550");
  await expect(viewport.locator(".viewport-overlay")).toContainText("Anonymized");
  await expect(viewport.locator(".viewport-overlay")).toContainText("Frontal · 1 / 12");
  await expect(viewport.locator(".viewport-overlay")).toContainText('View Position is "PA"');
  const before = await renderStats(viewport);

  // Window/level by dragging: right widens the window, down raises the level.
  const box = (await viewport.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 60, { steps: 6 });
  await page.mouse.up();
  await expect(wl).not.toHaveText("W 1024 · L 550");
  expect(Number(await viewport.getAttribute("data-ww"))).toBeGreaterThan(1024);
  expect(Number(await viewport.getAttribute("data-wc"))).toBeGreaterThan(550);
  await expect(viewport).toHaveAttribute("data-preset", "custom");

  // Presets by hotkey and by toolbar button; "1" brings back the file's window.
  await page.keyboard.press("2");
  await expect(viewport).toHaveAttribute("data-preset", "lung");
  const lung = await renderStats(viewport);
  await viewport.screenshot({ path: path.join(shots, "preset-lung.png") });
  await page.getByRole("button", { name: "Mediast." }).click();
  await expect(viewport).toHaveAttribute("data-preset", "mediastinum");
  const mediastinum = await renderStats(viewport);
  await viewport.screenshot({ path: path.join(shots, "preset-mediastinum.png") });
  // The lung window shows the lungs brighter (more of their range) than the mediastinum window does.
  expect(lung.lungs).toBeGreaterThan(mediastinum.lungs + 15);
  await page.keyboard.press("4");
  await expect(viewport).toHaveAttribute("data-preset", "bone");
  await viewport.screenshot({ path: path.join(shots, "preset-bone.png") });
  await page.keyboard.press("1");
  await expect(wl).toHaveText("W 1024 · L 550");

  // Invert, rotate, flip, zoom, fit, reset.
  await page.keyboard.press("i");
  await expect(viewport).toHaveAttribute("data-invert", "false");
  const inverted = await renderStats(viewport);
  expect(Math.abs(inverted.mean - (255 - before.mean))).toBeLessThan(3);
  await expect(viewport.locator(".viewport-overlay")).toContainText("Inverted");
  await page.keyboard.press("]");
  await expect(viewport).toHaveAttribute("data-rotation", "90");
  await page.getByRole("button", { name: "⟲ 90°" }).click();
  await expect(viewport).toHaveAttribute("data-rotation", "0");
  await page.keyboard.press("h");
  await expect(viewport).toHaveAttribute("data-hflip", "true");
  await page.keyboard.press("v");
  await expect(viewport).toHaveAttribute("data-vflip", "true");
  const fitScale = Number(await viewport.getAttribute("data-scale"));
  await page.keyboard.press("=");
  await page.keyboard.press("=");
  await expect.poll(async () => Number(await viewport.getAttribute("data-scale"))).toBeCloseTo(fitScale * 1.5625, 3);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -300);
  await expect.poll(async () => Number(await viewport.getAttribute("data-scale"))).toBeGreaterThan(fitScale * 1.6);
  await viewport.screenshot({ path: path.join(shots, "zoomed-flipped-inverted.png") });
  await page.keyboard.press("f");
  await expect.poll(async () => Number(await viewport.getAttribute("data-scale"))).toBeCloseTo(fitScale, 3);
  await page.keyboard.press("0");
  await expect(viewport).toHaveAttribute("data-invert", "true");
  await expect(viewport).toHaveAttribute("data-hflip", "false");
  await expect(viewport).toHaveAttribute("data-vflip", "false");
  await expect(wl).toHaveText("W 1024 · L 550");
  const reset = await renderStats(viewport);
  expect(Math.abs(reset.mean - before.mean)).toBeLessThan(1);

  // PageDown shows the next image of the study in the active viewport; x makes the lateral viewport active.
  await page.keyboard.press("PageDown");
  await expect(viewport).toHaveAttribute("data-file-name", "CR-MONO1-10-chest_implicitLE.dcm");
  await page.keyboard.press("x");
  await expect(page.locator('section.viewport[data-view="lateral"]')).toHaveClass(/active/);
  await page.keyboard.press("PageDown");
  await expect(page.locator('section.viewport[data-view="lateral"]')).toHaveAttribute("data-state", "ready", {
    timeout: 60_000,
  });
  await page.screenshot({ path: "test-results/viewer-study.png" });
});

/** Resolves when main has answered the next key-bindings write (the overlay shows a change before it is stored). */
function bindingsStored(page: Page): Promise<unknown> {
  return page.waitForResponse((r) => r.url().includes("keyBindings.set") && r.ok());
}

test("a hotkey can be rebound in the help overlay, and the binding survives a reload", async ({ page }) => {
  await page.goto(harness.url);
  await page.locator(".worklist-row", { hasText: "Anonymized" }).click();
  const viewport = await showImage(page, "CR-MONO1-10-chest_explicitLE.dcm");
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  const row = help.locator('tr[data-command="viewer.invert"]');
  await expect(row).toContainText("Invert grey scale");
  await row.getByRole("button", { name: /Change the key/ }).click();
  await expect(row).toContainText("Press a key");
  await page.keyboard.press("n");
  await expect(row.locator("kbd")).toHaveText("n");
  await page.screenshot({ path: "test-results/viewer-help-rebind.png" });
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await page.keyboard.press("n");
  await expect(viewport).toHaveAttribute("data-invert", "false");
  await page.keyboard.press("i");
  await expect(viewport).toHaveAttribute("data-invert", "false");
  // The toolbar's tooltip follows the binding.
  await expect(page.getByRole("button", { name: "Invert", exact: true })).toHaveAttribute("title", /\(n\)/);

  await page.reload();
  await page.locator(".worklist-row", { hasText: "Anonymized" }).click();
  const again = await showImage(page, "CR-MONO1-10-chest_explicitLE.dcm");
  await expect(page.getByRole("button", { name: "Invert", exact: true })).toHaveAttribute("title", /\(n\)/);
  await page.keyboard.press("n");
  await expect(again).toHaveAttribute("data-invert", "false");
  // Back to the default.
  await page.keyboard.press("?");
  // The next test starts from the stored bindings: wait until main has stored the default again.
  const stored = bindingsStored(page);
  await help
    .locator('tr[data-command="viewer.invert"]')
    .getByRole("button", { name: /Restore the default/ })
    .click();
  await stored;
  await expect(help.locator('tr[data-command="viewer.invert"] kbd')).toHaveText("i");
  await page.keyboard.press("Escape");
});

test("every shortcut hint in the UI is read from the current key bindings", async ({ page }) => {
  await page.goto(harness.url);
  await openStudy(page, page.locator(".worklist-row", { hasText: "Anonymized" }));
  const importButton = page.getByRole("button", { name: "Import", exact: true }).first();
  const sign = page.getByRole("button", { name: "Sign", exact: true });
  const search = page.getByRole("searchbox", { name: "Search studies" });
  const pacs = page.getByRole("button", { name: "PACS", exact: true });
  // The defaults, as the command table has them.
  await expect(importButton).toHaveAttribute("title", "Import files or a folder (Ctrl+O)");
  await expect(sign).toHaveAttribute("title", "Sign and lock the report (Ctrl+Shift+S)");
  await expect(search).toHaveAttribute("placeholder", "Search patient, ID, accession, description (/)");
  await expect(pacs).toHaveAttribute("title", "Search the PACS (Ctrl+Shift+O)");
  await expect(page.getByRole("button", { name: "Invert", exact: true })).toHaveAttribute(
    "title",
    "Invert grey scale (i)",
  );

  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  const rebindTo = async (command: string, chord: string, shown: string) => {
    const row = help.locator(`tr[data-command="${command}"]`);
    await row.getByRole("button", { name: /Change the key/ }).click();
    await page.keyboard.press(chord);
    await expect(row.locator("kbd")).toHaveText(shown);
  };
  await rebindTo("worklist.import", "Alt+i", "Alt+I");
  await rebindTo("report.sign", "Alt+s", "Alt+S");
  await rebindTo("worklist.focusSearch", "Alt+f", "Alt+F");
  await rebindTo("pacs.studies", "Alt+p", "Alt+P");
  await rebindTo("overlay.close", "Alt+q", "Alt+Q");
  // The overlay's close button shows the close command's key.
  await expect(help.getByRole("button", { name: "Close", exact: true })).toHaveText("Alt+Q");
  await page.keyboard.press("Alt+q");
  await expect(help).toBeHidden();
  await expect(importButton).toHaveAttribute("title", "Import files or a folder (Alt+I)");
  await expect(sign).toHaveAttribute("title", "Sign and lock the report (Alt+S)");
  await expect(search).toHaveAttribute("placeholder", "Search patient, ID, accession, description (Alt+F)");
  await expect(pacs).toHaveAttribute("title", "Search the PACS (Alt+P)");
  // The hint is what the key does.
  await page.keyboard.press("Alt+f");
  await expect(search).toBeFocused();
  await search.blur();
  await page.keyboard.press("Alt+i");
  await expect(page.getByRole("region", { name: "Import studies" })).toBeVisible();
  await page.screenshot({ path: "test-results/viewer-hints-rebound.png" });

  // The close command (rebound to Alt+Q) closes the import panel too.
  await page.keyboard.press("Alt+q");
  await expect(page.getByRole("region", { name: "Import studies" })).toBeHidden();

  // Every binding back to its default.
  await page.keyboard.press("?");
  await expect(help).toBeVisible();
  const restore = help.getByRole("button", { name: /Restore the default/ });
  while ((await restore.count()) > 0) {
    const stored = bindingsStored(page);
    await restore.first().click();
    await stored;
  }
  await expect(help.getByRole("button", { name: "Close", exact: true })).toHaveText("Esc");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await expect(importButton).toHaveAttribute("title", "Import files or a folder (Ctrl+O)");
  await expect(sign).toHaveAttribute("title", "Sign and lock the report (Ctrl+Shift+S)");
});

test("PNG and JPEG import one study per file and display; bad files are listed and the rest imported", async ({
  page,
}) => {
  await page.goto(harness.url);
  const nih = path.join(shared, "images", "nih");
  const covid = path.join(shared, "images", "covid");
  const summary = await importPaths(page, [nih, covid]);
  expect(summary).toMatch(/^10 files found: 9 images added, 1 not imported/);
  // annotation.json in the covid folder is not an image: listed, not fatal.
  const failures = page.getByRole("list", { name: "Files not imported" });
  await expect(failures).toContainText("annotation.json");
  await expect(failures).toContainText("not a DICOM, PNG or JPEG file");

  const row = (title: string) =>
    page.locator(".worklist-row").filter({ has: page.locator(".patient", { hasText: new RegExp(`^${title}$`) }) });
  // Loose images are one study per file (they may be different patients), titled by the file.
  await row("00000001_000.png").click();
  const png = await showImage(page, "00000001_000.png");
  const s = await renderStats(png);
  expect(s.std).toBeGreaterThan(25);
  expect(s.lungs + 25).toBeLessThan(s.mediastinum);
  await expect(page.getByTestId("frontal-wl")).toHaveText("W 256 · L 128");
  await png.screenshot({ path: path.join(shots, "nih-00000001_000.png") });
  await row("41182_2020_203_Fig3_HTML.jpg").click();
  const jpeg = await showImage(page, "41182_2020_203_Fig3_HTML.jpg");
  expect((await renderStats(jpeg)).std).toBeGreaterThan(20);
  await jpeg.screenshot({ path: path.join(shots, "covid-Fig3.png") });

  // A folder with a truncated PNG, a text file and one good image.
  const bad = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-bad-"));
  const good = fs.readFileSync(path.join(nih, "00027426_000.png"));
  fs.writeFileSync(path.join(bad, "good.png"), good);
  fs.writeFileSync(path.join(bad, "broken.png"), good.subarray(0, 4000));
  fs.writeFileSync(path.join(bad, "readme.txt"), "notes");
  const badSummary = await importPaths(page, [bad, path.join(bad, "missing-folder")]);
  expect(badSummary).toContain("3 files found: 1 image added, 3 not imported (below)");
  await expect(failures).toContainText("broken.png");
  await expect(failures).toContainText("damaged or truncated image");
  await expect(failures).toContainText("no such file or folder");
  await page.screenshot({ path: "test-results/viewer-import-failures.png" });
});

test("image bytes are served by database id only, with the token", async ({ page }) => {
  await page.goto(harness.url);
  const { strip } = await openStudy(page, page.locator(".worklist-row", { hasText: "RG1" }));
  const id = await strip.locator(".strip-image").first().getAttribute("data-image-id");
  expect(id).toMatch(/^im-/);
  const statuses = await page.evaluate(async (imageId) => {
    const token = sessionStorage.getItem("radiology-draft.harness-token");
    const auth = { authorization: `Bearer ${token}` };
    const get = async (url: string, headers: Record<string, string> = auth) => (await fetch(url, { headers })).status;
    const ok = await fetch(`/files/${imageId}`, { headers: auth });
    return {
      ok: ok.status,
      type: ok.headers.get("content-type"),
      bytes: (await ok.arrayBuffer()).byteLength,
      noToken: await get(`/files/${imageId}`, {}),
      wrongToken: await get(`/files/${imageId}`, { authorization: "Bearer wrong" }),
      unknown: await get("/files/im-doesnotexist"),
      traversal: await get("/files/..%2F..%2Fetc%2Fpasswd"),
    };
  }, id);
  expect(statuses).toEqual({
    ok: 200,
    type: "application/dicom",
    bytes: fs.statSync(path.join(dicomDir, "RG1_CR_chest_J2KI.dcm")).size,
    noToken: 401,
    wrongToken: 401,
    unknown: 404,
    traversal: 400,
  });
});
