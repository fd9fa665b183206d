/// <reference lib="dom" />
/**
 * The reading room (issue 17.1, 17.4, 17.5) in Chromium through the loopback harness started as `npm run serve`
 * starts it (demo studies seeded; the real model pack for the priors test):
 * - layouts: 1-up, 2-up, 2×2, maximise (key and double click), collapsing the worklist and the side panes; at
 *   1280×800 a maximised chest image is at least 700 px high (the measured box). Screenshot viewer-layout-1x1.png.
 * - the thumbnail strip: real thumbnails (rendered pixels), keyboard navigation, picking an image for a viewport.
 * - priors: a demo study signed, a follow-up of the same patient imported; the hanging protocol puts the current
 *   frontal beside the prior frontal with "Current" / "Prior" dates in the overlays and the prior's signed report
 *   beside it; the prior's images join the strip; "Open beside" for a gallery case shows its thumbnail labelled
 *   "thumbnail only", for a case the workstation has shows its images; no console error. Screenshot viewer-priors.png.
 * - "Open beside" (Priors pane, similar cases) and "Close comparison" by their keys (issue 17.6: Alt+B, Alt+C, Alt+X;
 *   the key opens the selected row or card, else the newest prior / the most similar case), by their buttons (which
 *   run the same commands and show the key in their titles), and Alt+B rebound in the help overlay.
 * Every step runs the command by its default key.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Locator, type Page, test } from "@playwright/test";
import { writeFollowUpStudy } from "../support/follow-up-study";
import { E2E_SIGNER, type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";
import { signAsAccount } from "../support/report-page";
import { consoleErrorsOf, importPaths, openStudy } from "../support/viewer-page";

const root = path.resolve(import.meta.dirname, "..", "..");
const shots = path.join(root, "test-results");
const DEMO_STUDY = path.join(root, "resources", "demo-studies", "CXR12_IM-0133");

test.setTimeout(600_000);
test.use({ viewport: { width: 1280, height: 800 } });

let harness: HarnessProcess | null = null;
test.afterEach(async () => {
  await harness?.stop();
  harness = null;
});

/** The worklist row of the demo study CXR0012 (2015-10-27). */
const demoRow = (page: Page) =>
  page.locator(".worklist-row").filter({ hasText: "CXR0012" }).filter({ hasText: "2015-10-27" }).first();

const viewport = (page: Page, slot: string) => page.locator(`section.viewport[data-view="${slot}"]`);

/** The viewports the layout shows, by slot. */
const visibleSlots = (page: Page) =>
  page.locator("section.viewport:visible").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.view ?? ""));

/** The displayed image's box in CSS pixels (cornerstone's scale is canvas pixels per image pixel). */
async function imageBox(v: Locator): Promise<{ width: number; height: number }> {
  return v.evaluate((section) => {
    const el = section as HTMLElement;
    const canvas = el.querySelector("canvas") as HTMLCanvasElement;
    const css = canvas.getBoundingClientRect();
    const scale = Number(el.dataset.scale);
    const perCanvasPx = css.height / canvas.height;
    const rotated = Number(el.dataset.rotation) % 180 !== 0;
    const w = Number(el.dataset.imageWidth);
    const h = Number(el.dataset.imageHeight);
    return {
      width: (rotated ? h : w) * scale * perCanvasPx,
      height: (rotated ? w : h) * scale * perCanvasPx,
    };
  });
}

/** Non-black pixels and the spread of a thumbnail's canvas: it shows the image, not a text or an empty box. */
const thumbStats = (strip: Locator) =>
  strip.locator(".strip-thumb canvas").evaluateAll((canvases) =>
    canvases.map((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(
        0,
        0,
        canvas.width,
        canvas.height,
      ).data;
      let lit = 0;
      let min = 255;
      let max = 0;
      for (let i = 0; i < data.length; i += 4) {
        const g = data[i] ?? 0;
        if (g > 16) lit += 1;
        min = Math.min(min, g);
        max = Math.max(max, g);
      }
      return { width: canvas.width, height: canvas.height, lit: lit / (data.length / 4), range: max - min };
    }),
  );

test("layouts, maximise, collapsed panes and the thumbnail strip, each by its key", async ({ page }) => {
  fs.mkdirSync(shots, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-layout-"));
  harness = await startSignedInHarnessProcess(dataDir, ["--model-pack", "none"]);
  const errors = consoleErrorsOf(page);
  await page.goto(harness.url);
  const worklist = page.getByRole("complementary", { name: "Worklist" });
  const { strip } = await openStudy(page, demoRow(page));
  await expect(viewport(page, "frontal")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  await expect(viewport(page, "lateral")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });

  // The strip's thumbnails are the images, rendered: non-blank, with contrast, the image's aspect ratio.
  await expect(strip.locator(".strip-thumb[data-state=ready]")).toHaveCount(2, { timeout: 60_000 });
  const stats = await thumbStats(strip);
  console.log(`thumbnails: ${JSON.stringify(stats)}`);
  for (const s of stats) {
    expect(Math.max(s.width, s.height)).toBe(64);
    expect(s.lit).toBeGreaterThan(0.3);
    expect(s.range).toBeGreaterThan(100);
  }

  // Keyboard: Alt+S goes to the strip (the active viewport's image), → and Enter show the next image there.
  await page.keyboard.press("Alt+s");
  const frontalId = await viewport(page, "frontal").getAttribute("data-image-id");
  await expect(page.locator(".strip-image:focus")).toHaveAttribute("data-image-id", frontalId ?? "");
  await page.keyboard.press("ArrowRight");
  const lateralId = await page.locator(".strip-image:focus").getAttribute("data-image-id");
  expect(lateralId).not.toBe(frontalId);
  await page.keyboard.press("Enter");
  await expect(viewport(page, "frontal")).toHaveAttribute("data-image-id", lateralId ?? "");
  await expect(strip.locator(`li:has(.strip-image[data-image-id="${lateralId}"])`)).toHaveAttribute(
    "data-shown-in",
    "frontal lateral",
  );
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("Enter");
  await expect(viewport(page, "frontal")).toHaveAttribute("data-image-id", frontalId ?? "");
  await page.locator("body").click({ position: { x: 5, y: 5 } });

  // Layouts: 2-up is the default; 1-up, 2×2 and back.
  expect(await visibleSlots(page)).toEqual(["frontal", "lateral"]);
  await page.keyboard.press("Control+Alt+1");
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal"]);
  await page.keyboard.press("Control+Alt+4");
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "lateral", "prior-frontal", "prior-lateral"]);
  await expect(viewport(page, "prior-frontal")).toContainText("No prior beside this study");
  await page.keyboard.press("x");
  await expect(viewport(page, "lateral")).toHaveClass(/active/);
  await page.keyboard.press("Control+Alt+2");
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "lateral"]);

  // Collapsing the worklist and the side panes widens the viewer; the keys bring them back.
  const viewerWidth = () => page.locator(".viewer-area").evaluate((e) => e.getBoundingClientRect().width);
  const before = await viewerWidth();
  await page.keyboard.press("Alt+[");
  await expect(worklist).toBeHidden();
  await page.keyboard.press("Alt+]");
  await expect(page.getByRole("region", { name: "Priors" })).toBeHidden();
  expect(await viewerWidth()).toBeGreaterThan(before + 700);
  console.log(`viewer width at 1280×800: ${before} px, panes collapsed ${await viewerWidth()} px`);
  await page.keyboard.press("Alt+[");
  await page.keyboard.press("Alt+]");
  await expect(worklist).toBeVisible();
  await expect(page.getByRole("region", { name: "Priors" })).toBeVisible();

  // Maximise the active (lateral) viewport by its key, restore; then the frontal by double click.
  await page.keyboard.press("Alt+Enter");
  await expect.poll(() => visibleSlots(page)).toEqual(["lateral"]);
  await page.keyboard.press("Alt+Enter");
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "lateral"]);
  await viewport(page, "frontal").locator(".viewport-canvas").dblclick();
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal"]);
  await expect(worklist).toBeHidden();
  const frontal = viewport(page, "frontal");
  await expect.poll(async () => (await imageBox(frontal)).height).toBeGreaterThanOrEqual(700);
  const box = await imageBox(frontal);
  console.log(
    `maximised chest image at 1280×800: ${box.width.toFixed(0)} × ${box.height.toFixed(0)} px (viewport ${JSON.stringify(await frontal.boundingBox())})`,
  );
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(shots, "viewer-layout-1x1.png") });
  await frontal.locator(".viewport-canvas").dblclick();
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "lateral"]);
  await expect(worklist).toBeVisible();
  expect(errors).toEqual([]);
});

test("priors: hanging protocol with dates and the prior's report, prior thumbnails, similar cases beside", async ({
  page,
}) => {
  fs.mkdirSync(shots, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-priors-"));
  harness = await startSignedInHarnessProcess(dataDir);
  const errors = consoleErrorsOf(page);
  await page.goto(harness.url);
  const worklist = page.getByRole("complementary", { name: "Worklist" });
  await expect(page.getByTestId("status-model")).toContainText(/Model .* · (cpu|cuda)/i, { timeout: 120_000 });

  // The prior: the demo study, signed.
  const prior = await openStudy(page, demoRow(page));
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible({ timeout: 180_000 });
  await page.getByTestId("report-impression").fill("No acute cardiopulmonary abnormality.");
  await signAsAccount(page, E2E_SIGNER, { attestUntouchedAi: true });

  // The current study: a follow-up of the same patient.
  const followUpDir = path.join(dataDir, "follow-up");
  writeFollowUpStudy(followUpDir, DEMO_STUDY);
  await importPaths(page, [followUpDir]);
  const current = await openStudy(page, page.locator(".worklist-row").filter({ hasText: "2025-06-01" }).first());
  const priors = page.getByRole("region", { name: "Priors" });
  const row = priors.getByRole("list", { name: "Prior studies" }).getByRole("listitem").first();
  await expect(row).toContainText("2015-10-27");
  await expect(row).toContainText("report (local)");

  // The hanging protocol by its key: current frontal beside the prior frontal, dates in the overlays.
  await page.keyboard.press("Alt+p");
  const comparison = page.getByTestId("comparison-viewport");
  await expect(comparison).toContainText(`Prior study ${prior.studyId}`);
  await expect(viewport(page, "prior-frontal")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  expect(await visibleSlots(page)).toEqual(["frontal", "prior-frontal"]);
  await expect(page.getByTestId("frontal-date")).toHaveText("Current · 2025-06-01");
  await expect(page.getByTestId("prior-frontal-date")).toHaveText("Prior · 2015-10-27");
  await expect(page.getByTestId("prior-frontal-view-label")).toContainText("Frontal");
  // The prior's signed report beside its images.
  const report = page.getByTestId("comparison-report");
  await expect(report).toContainText("Signed by Dr. Demo Radiologist");
  await expect(report).toContainText("No acute cardiopulmonary abnormality.");
  // The prior's images join the strip as real thumbnails.
  const priorStrip = page.locator(`.image-strip[data-study-id="${prior.studyId}"]`);
  await expect(priorStrip.locator(".strip-thumb[data-state=ready]")).toHaveCount(2, { timeout: 60_000 });
  await expect(current.strip.locator(".strip-thumb[data-state=ready]")).toHaveCount(2, { timeout: 60_000 });
  for (const s of await thumbStats(priorStrip)) expect(s.range).toBeGreaterThan(100);
  // The worklist collapsed (and the import panel closed) gives the comparison the room.
  await page.getByRole("region", { name: "Import studies" }).getByRole("button", { name: /Close/ }).click();
  await page.keyboard.press("Alt+[");
  await expect(worklist).toBeHidden();
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(shots, "viewer-priors.png") });
  await page.keyboard.press("Alt+[");

  // 2×2: the current study's two views over the prior's two.
  await page.keyboard.press("Control+Alt+4");
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "lateral", "prior-frontal", "prior-lateral"]);
  await expect(viewport(page, "prior-lateral")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  await expect(page.getByTestId("prior-lateral-date")).toHaveText("Prior · 2015-10-27");
  // From the strip by keyboard: ↓ goes to the prior's row; Enter shows its image in the active (frontal) viewport.
  await viewport(page, "frontal").locator(".viewport-canvas").click();
  await page.keyboard.press("Alt+s");
  await page.keyboard.press("ArrowDown");
  const pickedPrior = await page.locator(".strip-image:focus").getAttribute("data-image-id");
  expect(await priorStrip.locator(".strip-image").first().getAttribute("data-image-id")).toBe(pickedPrior);
  await page.keyboard.press("Enter");
  await expect(viewport(page, "frontal")).toHaveAttribute("data-image-id", pickedPrior ?? "");
  await expect(page.getByTestId("frontal-date")).toHaveText("Prior · 2015-10-27");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("frontal-date")).toHaveText("Current · 2025-06-01");
  // The hanging protocol again: whatever the layout and the viewports showed, current frontal beside prior frontal.
  await page.keyboard.press("Alt+p");
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "prior-frontal"]);
  await expect(page.getByTestId("frontal-date")).toHaveText("Current · 2025-06-01");
  await expect(page.getByTestId("frontal-view-label")).toContainText("Frontal");
  await expect(page.getByTestId("prior-frontal-view-label")).toContainText("Frontal");

  // Close the comparison by its key; Open beside in the Priors pane by its key (no row selected: the newest prior).
  const closeButton = comparison.getByRole("button", { name: "Close comparison" });
  await expect(closeButton).toHaveAttribute("title", "Close the comparison (Alt+X)");
  await page.keyboard.press("Alt+x");
  await expect(page.locator(".comparison-banner")).toHaveCount(0);
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "lateral"]);
  const openPriorButton = row.getByRole("button", { name: "Open beside" });
  await expect(openPriorButton).toHaveAttribute(
    "title",
    "Show this prior beside the current study, with its report (Alt+B)",
  );
  await page.keyboard.press("Alt+b");
  await expect(comparison).toContainText(`Prior study ${prior.studyId}`);
  await expect(report).toContainText("No acute cardiopulmonary abnormality.");
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "prior-frontal"]);
  await expect(viewport(page, "prior-frontal")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  // The buttons run the same commands: closed by the banner's button, opened by the row's (which selects the row).
  await closeButton.click();
  await expect(page.locator(".comparison-banner")).toHaveCount(0);
  await openPriorButton.click();
  await expect(comparison).toContainText(`Prior study ${prior.studyId}`);
  await expect(row).toHaveAttribute("aria-current", "true");
  // Rebound in the help overlay: the new key opens it and the button's title says so; the old key does nothing.
  await page.keyboard.press("Alt+x");
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  const helpRow = help.locator('tr[data-command="priors.openBeside"]');
  await expect(helpRow).toContainText("Open the selected prior (else the most recent) beside the current study");
  await expect(helpRow.locator("kbd")).toHaveText("Alt+B");
  await helpRow.getByRole("button", { name: /Change the key/ }).click();
  await page.keyboard.press("Alt+o");
  await expect(helpRow.locator("kbd")).toHaveText("Alt+O");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await expect(openPriorButton).toHaveAttribute(
    "title",
    "Show this prior beside the current study, with its report (Alt+O)",
  );
  await page.keyboard.press("Alt+b");
  await page.waitForTimeout(300);
  await expect(page.locator(".comparison-banner")).toHaveCount(0);
  await page.keyboard.press("Alt+o");
  await expect(comparison).toContainText(`Prior study ${prior.studyId}`);
  await page.keyboard.press("?");
  await helpRow.getByRole("button", { name: /Restore the default/ }).click();
  await expect(helpRow.locator("kbd")).toHaveText("Alt+B");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();

  // Similar cases: a gallery case has no images here: its thumbnail, enlarged, labelled "thumbnail only".
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible({ timeout: 180_000 });
  // By its key with no card selected: the most similar case.
  const topId = await page.getByTestId("similar-case").first().getAttribute("data-study-id");
  await page.keyboard.press("Alt+c");
  await expect(comparison).toContainText(`Similar prior case ${topId}`);
  const galleryCase = page.locator(`[data-testid=similar-case]:not([data-study-id="${prior.studyId}"])`).first();
  await expect(galleryCase).toBeVisible();
  const galleryId = await galleryCase.getAttribute("data-study-id");
  const galleryButton = galleryCase.getByRole("button", { name: "Open beside" });
  await expect(galleryButton).toHaveAttribute("title", "Show this case's images beside the current study (Alt+C)");
  await galleryButton.click();
  await expect(comparison).toHaveAttribute("data-state", "thumbnail-only");
  await expect(comparison).toContainText(`Similar prior case ${galleryId}`);
  await expect(comparison.getByRole("note")).toContainText("Thumbnail only");
  const enlarged = comparison.locator(".thumbnail-only img");
  await expect(enlarged).toBeVisible();
  const shownHeight = await enlarged.evaluate((img) => img.getBoundingClientRect().height);
  expect(shownHeight).toBeGreaterThan(96 * 2);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(shots, "viewer-similar-thumbnail-only.png") });
  // The signed prior is also a similar case (it joined the index): the workstation has it, so its images show.
  // Selected by the focus (Tab reaches its button), opened by the key.
  const signedCase = page.locator(`[data-testid=similar-case][data-study-id="${prior.studyId}"]`);
  await signedCase.getByRole("button", { name: "Open beside" }).focus();
  await expect(signedCase).toHaveAttribute("aria-current", "true");
  await page.keyboard.press("Alt+c");
  await expect(comparison).toContainText(`Similar prior case ${prior.studyId}`);
  await expect(viewport(page, "prior-frontal")).toHaveAttribute("data-state", "ready", { timeout: 60_000 });
  await page.keyboard.press("Alt+x");
  await expect(page.locator(".comparison-banner")).toHaveCount(0);
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "lateral"]);

  // In 1-up, Open beside goes to 2-up, so the comparison is seen.
  await page.keyboard.press("Control+Alt+1");
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal"]);
  await page.keyboard.press("Alt+b");
  await expect(comparison).toContainText(`Prior study ${prior.studyId}`);
  await expect.poll(() => visibleSlots(page)).toEqual(["frontal", "prior-frontal"]);
  await page.keyboard.press("Alt+x");

  // The prior itself has no earlier study: its Priors pane never keeps the follow-up's list, and Open beside by key
  // opens nothing of the other study.
  await openStudy(page, demoRow(page));
  await expect(priors).toContainText("No earlier study", { ignoreCase: true });
  await expect(priors.getByRole("list", { name: "Prior studies" }).getByRole("listitem")).toHaveCount(0);
  await page.keyboard.press("Alt+b");
  await page.waitForTimeout(300);
  await expect(page.locator(".comparison-banner")).toHaveCount(0);
  expect(errors).toEqual([]);
});
