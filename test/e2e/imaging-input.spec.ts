/// <reference lib="dom" />
/**
 * What the import accepts, the viewer shows (real Chromium, cornerstone, through the loopback harness): the transfer
 * syntaxes the table accepts that have no shared sample (HTJ2K lossless / RPCL / lossy and JPEG XL lossless / lossy,
 * transcoded here from the real CR chest with dcmjs-codecs) and a JPEG-LS RGB file without preamble (dcmtk, from a
 * real chest JPEG) import and display; damaged files are refused at import with the reason; the user's grouping makes
 * one study of loose images that would otherwise be one study each. The shared files' syntaxes: viewer.spec.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";
import { displayedSpread, importPaths, openStudy, stripFileNames } from "../support/viewer-page";
import {
  jpegLsRgbWithoutPreamble,
  rleTablePastEnd,
  syntaxSamples,
  TRANSCODED_SYNTAXES,
  truncatedStreams,
} from "../unit/imaging/derived-files";

const root = path.resolve(import.meta.dirname, "..", "..");
const images = path.resolve(root, "../shared/data/images");
const shots = path.join(root, "test-results", "imaging-input");

let harness: HarnessProcess;
test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  harness = await startSignedInHarnessProcess(fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-input-")), [
    "--no-demo-studies",
  ]);
});
test.afterAll(async () => {
  await harness?.stop();
});

test("HTJ2K, JPEG XL and JPEG-LS RGB files import and display", async ({ page }) => {
  // Transcoding the samples (JPEG XL encodes slowly) and decoding six images: slow on a loaded 2-core machine.
  test.setTimeout(300_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-syntaxes-"));
  const samples = await syntaxSamples(dir);
  const files = [...TRANSCODED_SYNTAXES.map((uid) => samples.get(uid) as string), jpegLsRgbWithoutPreamble(dir)];
  await page.goto(harness.url);
  const summary = await importPaths(page, files);
  expect(summary).toContain(`${files.length} files found: ${files.length} images added, nothing failed`);
  const rows = page.locator(".worklist-row");
  await expect(rows).toHaveCount(2);
  const shown: string[] = [];
  for (let r = 0; r < 2; r++) {
    const { strip } = await openStudy(page, rows.nth(r));
    const names = await stripFileNames(strip);
    for (const name of names) {
      await strip.locator(`.strip-image[data-file-name="${name}"]`).click();
      const viewport = page.locator('section.viewport[data-view="frontal"]');
      await expect(viewport).toHaveAttribute("data-file-name", name);
      await expect(viewport).toHaveAttribute("data-state", /ready|error/, { timeout: 60_000 });
      if ((await viewport.getAttribute("data-state")) === "error") {
        throw new Error(`${name}: ${await viewport.locator(".viewport-error").textContent()}`);
      }
      const spread = await displayedSpread(viewport);
      expect(spread.std, `${name} contrast`).toBeGreaterThan(20);
      expect(spread.distinct, `${name} grey levels`).toBeGreaterThan(40);
      await viewport.screenshot({ path: path.join(shots, `${name.replace(/\.dcm$/, "")}.png`) });
      shown.push(name);
    }
  }
  expect(shown.sort()).toEqual(files.map((f) => path.basename(f)).sort());
});

test("damaged files are refused at import with the reason", async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-damaged-"));
  const damaged = [
    ...truncatedStreams(0.5).filter((d) => /RG1|JPEGBaseline|JPEGLS_lossless/.test(d.source)),
    rleTablePastEnd(),
  ];
  for (const d of damaged) fs.writeFileSync(path.join(dir, `damaged-${d.source}`), d.bytes);
  await page.goto(harness.url);
  const summary = await importPaths(page, [dir]);
  expect(summary).toContain(`${damaged.length} files found: 0 images added, ${damaged.length} not imported (below)`);
  const failures = page.getByRole("list", { name: "Files not imported" });
  await expect(failures).toContainText("the JPEG 2000 codestream has no EOC marker (FFD9) at its end");
  await expect(failures).toContainText("the JPEG stream has no EOI marker (FFD9) at its end");
  await expect(failures).toContainText("the JPEG-LS stream has no EOI marker (FFD9) at its end");
  await expect(failures).toContainText("the segment table points past the end");
  await page.screenshot({ path: path.join(shots, "damaged-refused.png") });
});

test("the user's grouping makes one study of loose images; without it each file is its own study", async ({ page }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-group-"));
  for (const f of ["nih/00000001_000.png", "nih/00027426_000.png", "covid/40779_2020_233_Fig2_HTML-a.png"]) {
    fs.copyFileSync(path.join(images, f), path.join(dir, path.basename(f)));
  }
  const grouped = path.join(dir, "grouped");
  fs.mkdirSync(grouped);
  for (const f of ["00000001_000.png", "00027426_000.png"]) {
    fs.copyFileSync(path.join(dir, f), path.join(grouped, f.replace("00000001_000", "chest-pa")));
  }
  await page.goto(harness.url);
  const row = (title: string) =>
    page.locator(".worklist-row").filter({ has: page.locator(".patient", { hasText: new RegExp(`^${title}$`) }) });
  expect(await importPaths(page, [grouped], true)).toContain("2 images added, nothing failed · 1 study changed");
  await expect(row("grouped")).toHaveCount(1);
  const separate = await importPaths(page, [
    path.join(dir, "00000001_000.png"),
    path.join(dir, "40779_2020_233_Fig2_HTML-a.png"),
  ]);
  expect(separate).toContain("2 images added, nothing failed · 2 studies changed");
  await expect(row("00000001_000.png")).toHaveCount(1);
  await expect(row("40779_2020_233_Fig2_HTML-a.png")).toHaveCount(1);
  // The grouped study: the PA image by its name in the frontal viewport, the other image's view unknown ("?").
  await row("grouped").click();
  await expect(page.locator('section.viewport[data-view="frontal"]')).toHaveAttribute("data-file-name", "chest-pa.png");
  await expect(page.locator('.strip-image[data-file-name="00027426_000.png"] .view-badge')).toHaveText("?");
});
