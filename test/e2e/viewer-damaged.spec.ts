/// <reference lib="dom" />
/**
 * Damaged image data in the viewer (real Chromium, cornerstone, through the loopback harness): a clear message in the
 * viewport naming the file and the problem — never a blank viewport, an uncaught page error or a stack trace.
 * - Real path: real chest files (JPEG baseline, JPEG 2000, RLE DICOM, a PNG) imported intact, then damaged on disk
 *   (codestream cut, RLE segment table past the end, PNG truncated). The harness refuses the changed bytes by the
 *   checksum recorded at import; the viewport says so; re-importing them names the damage.
 * - The viewer's own decoder: the import refuses damaged files and the file channel refuses changed ones, so no real
 *   path hands the viewer damaged bytes; here the page's image requests are answered with the damaged bytes
 *   (Playwright's route) to show that the viewer's decoding in Chromium still refuses them with the reason.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";
import { importPaths, openStudy, stripFileNames } from "../support/viewer-page";
import { type DamagedFile, rleTablePastEnd, truncatedStreams } from "../unit/imaging/derived-files";

const root = path.resolve(import.meta.dirname, "..", "..");
const shared = path.resolve(root, "../shared/data");
const shots = path.join(root, "test-results", "viewer-damaged");

let harness: HarnessProcess;
test.describe.configure({ mode: "serial" });

/** The files imported intact, by the name they are imported under, with their damaged bytes and what the damage is. */
const cases: Array<{ name: string; intact: string; damaged: Buffer; decoderProblem: RegExp; importProblem: RegExp }> =
  [];
let dir: string;

test.beforeAll(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const stream = (source: string): DamagedFile => {
    const found = truncatedStreams(0.5).find((d) => d.source === source);
    if (!found) throw new Error(`no truncated stream of ${source}`);
    return found;
  };
  const png = fs.readFileSync(path.join(shared, "images", "nih", "00000001_000.png"));
  const jpeg = fs.readFileSync(path.join(shared, "images", "covid", "41182_2020_203_Fig3_HTML.jpg"));
  const native = fs.readFileSync(path.join(shared, "dicom", "NIH_DX_chest_implicitLE.dcm"));
  cases.push(
    {
      name: "jpeg-baseline.dcm",
      intact: path.join(shared, "dicom", "SIIM_CR_chest_JPEGBaseline.dcm"),
      damaged: stream("SIIM_CR_chest_JPEGBaseline.dcm").bytes,
      decoderProblem: /the JPEG stream has no EOI marker \(FFD9\) at its end/,
      importProblem: /the JPEG stream has no EOI marker \(FFD9\) at its end/,
    },
    {
      name: "jpeg2000.dcm",
      intact: path.join(shared, "dicom", "RG1_CR_chest_J2KI.dcm"),
      damaged: stream("RG1_CR_chest_J2KI.dcm").bytes,
      decoderProblem: /the JPEG 2000 codestream has no EOC marker \(FFD9\) at its end/,
      importProblem: /the JPEG 2000 codestream has no EOC marker \(FFD9\) at its end/,
    },
    {
      name: "rle.dcm",
      intact: path.join(shared, "dicom", "derived_CRchest_RLE.dcm"),
      damaged: rleTablePastEnd().bytes,
      decoderProblem: /the segment table points past the end/,
      importProblem: /the segment table points past the end/,
    },
    {
      // Native pixel data: the file cut at 60 %, so the pixel data is shorter than the frame needs.
      name: "native.dcm",
      intact: path.join(shared, "dicom", "NIH_DX_chest_implicitLE.dcm"),
      damaged: native.subarray(0, Math.floor(native.length * 0.6)),
      decoderProblem: /the pixel data is truncated: \d+ bytes present, 1048576 needed for frame 0/,
      importProblem: /truncated|shorter/,
    },
    {
      name: "chest.png",
      intact: path.join(shared, "images", "nih", "00000001_000.png"),
      damaged: png.subarray(0, Math.floor(png.length / 3)),
      decoderProblem: /the PNG file has no IEND chunk after its image data: it is truncated/,
      importProblem: /damaged or truncated image/,
    },
    {
      name: "chest.jpg",
      intact: path.join(shared, "images", "covid", "41182_2020_203_Fig3_HTML.jpg"),
      damaged: jpeg.subarray(0, Math.floor(jpeg.length / 2)),
      decoderProblem: /the JPEG file has no EOI marker \(FFD9\) after its last scan: it is truncated/,
      importProblem: /damaged or truncated image/,
    },
  );
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-damaged-view-"));
  for (const c of cases) fs.copyFileSync(c.intact, path.join(dir, c.name));
  harness = await startSignedInHarnessProcess(fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-damaged-data-")), [
    "--no-demo-studies",
    "--model-pack",
    "none",
  ]);
});
test.afterAll(async () => {
  await harness?.stop();
});

/** Page errors and console errors / warnings of the page, to assert there is no uncaught error and no stack trace. */
function watch(page: Page): { pageErrors: string[]; console: string[] } {
  const out = { pageErrors: [] as string[], console: [] as string[] };
  page.on("pageerror", (e) => out.pageErrors.push(String(e.stack ?? e)));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") out.console.push(m.text());
  });
  return out;
}

const STACK = /\n\s+at |\bat \S+ \(|\.(tsx?|js):\d+:\d+/;

/** Opens each imported study and returns, by file name, what its frontal viewport shows once it has settled. */
async function viewportsByFile(page: Page): Promise<Map<string, { state: string; alert: string }>> {
  const rows = page.locator(".worklist-row");
  await expect(rows).toHaveCount(cases.length);
  const seen = new Map<string, { state: string; alert: string }>();
  for (let r = 0; r < cases.length; r++) {
    const { strip } = await openStudy(page, rows.nth(r));
    const [name] = await stripFileNames(strip);
    const viewport = page.locator('section.viewport[data-view="frontal"]');
    await expect(viewport).toHaveAttribute("data-file-name", name!);
    await expect(viewport).toHaveAttribute("data-state", /ready|error/, { timeout: 60_000 });
    const state = (await viewport.getAttribute("data-state")) ?? "";
    const alert = state === "error" ? ((await viewport.getByRole("alert").textContent()) ?? "") : "";
    if (state === "error") await expect(viewport.getByRole("alert")).toBeVisible();
    seen.set(name!, { state, alert });
    await viewport.screenshot({ path: path.join(shots, `${test.info().title.slice(0, 20)}-${name}.png`) });
  }
  return seen;
}

test("files damaged on disk after import: the viewport names the file and says it changed; re-import names the damage", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const seen = watch(page);
  await page.goto(harness.url);
  const summary = await importPaths(page, [dir]);
  expect(summary).toContain(`${cases.length} files found: ${cases.length} images added, nothing failed`);
  // Intact, each displays.
  for (const [name, v] of await viewportsByFile(page)) expect(v, name).toEqual({ state: "ready", alert: "" });

  for (const c of cases) fs.writeFileSync(path.join(dir, c.name), c.damaged);
  await page.reload();
  for (const [name, v] of await viewportsByFile(page)) {
    expect(v.state, name).toBe("error");
    expect(v.alert).toContain(name);
    // The harness answers without absolute paths (docs/security.md): the folder is shown as "…".
    expect(v.alert).toContain(`image file …/${name} changed since it was imported: import it again`);
    expect(v.alert).not.toMatch(STACK);
  }
  // Importing them again refuses each with what is wrong with it.
  const again = await importPaths(page, [dir]);
  expect(again).toContain(`${cases.length} not imported`);
  const failures = page.getByRole("list", { name: "Files not imported" });
  for (const c of cases) {
    const item = failures.getByRole("listitem").filter({ hasText: c.name });
    await expect(item).toHaveCount(1);
    await expect(item).toContainText(c.importProblem);
  }
  expect(seen.pageErrors).toEqual([]);
  expect(seen.console.filter((t) => STACK.test(t))).toEqual([]);
  console.log(`console errors/warnings of the page: ${JSON.stringify(seen.console)}`);
});

test("damaged bytes reaching the viewer: its decoding in Chromium refuses them with the file and the reason", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const seen = watch(page);
  const damagedById = new Map<string, Buffer>();
  await page.route("**/files/*", async (route) => {
    const id = decodeURIComponent(new URL(route.request().url()).pathname.split("/").pop() ?? "");
    const damaged = damagedById.get(id);
    if (!damaged) return route.continue();
    await route.fulfill({ status: 200, body: damaged, contentType: "application/octet-stream" });
  });
  await page.goto(harness.url);
  // The image ids of the imported files, from the page's own listing of each study.
  const rows = page.locator(".worklist-row");
  await expect(rows).toHaveCount(cases.length);
  for (let r = 0; r < cases.length; r++) {
    const { strip } = await openStudy(page, rows.nth(r));
    const first = strip.locator(".strip-image").first();
    const name = (await first.getAttribute("data-file-name")) ?? "";
    const imageId = (await first.getAttribute("data-image-id")) ?? "";
    expect(imageId, `${name}: the strip image carries data-image-id`).not.toBe("");
    const c = cases.find((x) => x.name === name);
    if (c) damagedById.set(imageId, c.damaged);
  }
  expect(damagedById.size).toBe(cases.length);
  await page.reload();
  const views = await viewportsByFile(page);
  for (const c of cases) {
    const v = views.get(c.name)!;
    expect(v.state, c.name).toBe("error");
    expect(v.alert).toContain(c.name);
    expect(v.alert).toMatch(c.decoderProblem);
    expect(v.alert).not.toMatch(STACK);
    console.log(`${c.name}: ${v.alert}`);
  }
  expect(seen.pageErrors).toEqual([]);
  expect(seen.console.filter((t) => STACK.test(t))).toEqual([]);
  console.log(`console errors/warnings of the page: ${JSON.stringify(seen.console)}`);
});
