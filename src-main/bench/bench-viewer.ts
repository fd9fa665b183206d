/// <reference lib="dom" />
/**
 * npm run bench:viewer -- [--studies 6] [--cold-runs 5] [--out bench-results]
 *
 * The viewer's first image (issue 19.3) in Debian's Chromium through the loopback harness, on real 2k×2k files:
 * --studies 2-view studies made from the shared 1955×1841 CR chest (harness-bench-support.ts: the frontal JPEG 2000
 * lossless, the lateral JPEG-LS lossless) are imported into a fresh data folder, the harness is started on it
 * (no model pack, no demo studies, so nothing else runs) once main has written the viewer's decoded copies (as it
 * does after every import), and each study's worklist row is clicked. Timed in the page,
 * from the click to the frame in which the viewport first shows the image (its `data-state` "ready", then two
 * animation frames so the canvas has been drawn):
 *   - warm: the studies after the first, one after another in one page (the decoders already loaded);
 *   - cold: --cold-runs times, a reloaded page's first click as soon as the rows show (the viewer's chunk, fetched
 *     after the worklist's first paint, is still loading);
 *   - cold, viewer loaded: --cold-runs times, a reloaded page's first click once the viewer's chunk has loaded.
 * p50 / max per viewport (J2K frontal, JPEG-LS lateral) and for both. Target: ≤ 400 ms. Timings are printed, never
 * asserted. Load average before and after; JSON + Markdown under --out (git-ignored).
 * Needs the built renderer (npx electron-vite build), gdcmconv, dcmodify and dcmcjpls.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "@playwright/test";
import { percentile } from "../cli/inference-cli-support";
import { integerOption, markdownTable, runCli, UserError } from "../cli/language-cli-support";
import { appRoot } from "../paths";
import { createServices } from "../services";
import {
  launchChromium,
  loadAverage,
  makeTwoKStudies,
  requireBuiltRenderer,
  spawnHarness,
  writeResults,
} from "./harness-bench-support";

interface Click {
  frontalMs: number;
  lateralMs: number;
  bothMs: number;
  /** The first paint of a viewport when it was a reduced-resolution preview (else equal to the shown time). */
  frontalFirstPaintMs: number;
  lateralFirstPaintMs: number;
  errors: string[];
  resources?: string[];
}

/** Clicks the study's worklist row in the page and times both viewports until their image is drawn. */
async function clickStudy(page: Page, studyId: string): Promise<Click> {
  return page.evaluate(async (id) => {
    const row = document.querySelector<HTMLElement>(`.worklist-row[data-study-id="${CSS.escape(id)}"]`);
    if (!row) throw new Error(`no worklist row for study ${id}`);
    const slots = ["frontal", "lateral"] as const;
    const previous = Object.fromEntries(
      slots.map((s) => [s, document.querySelector<HTMLElement>(`section.viewport[data-view="${s}"]`)?.dataset.imageId]),
    );
    const painted = () =>
      new Promise<number>((resolve) =>
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))),
      );
    const t0 = performance.now();
    const result = { first: {} as Record<string, number>, shown: {} as Record<string, number>, errors: [] as string[] };
    const observers: MutationObserver[] = [];
    const done = new Promise<void>((resolve) => {
      const pending = new Set<string>(slots);
      const firstSeen = new Set<string>();
      const check = () => {
        const area = document.querySelector<HTMLElement>(".viewer-area");
        if (area?.dataset.studyId !== id) return;
        for (const slot of [...pending]) {
          const section = document.querySelector<HTMLElement>(`section.viewport[data-view="${slot}"]`);
          if (!section?.dataset.imageId || section.dataset.imageId === previous[slot]) continue;
          const state = section.dataset.state;
          if ((state === "preview" || state === "ready") && !firstSeen.has(slot)) {
            firstSeen.add(slot);
            void painted().then((t) => {
              result.first[slot] = t - t0;
            });
          }
          if (state === "ready" || state === "error") {
            pending.delete(slot);
            if (state === "error") result.errors.push(`${slot}: ${section.textContent}`);
            void painted().then((t) => {
              result.shown[slot] = t - t0;
              if (pending.size === 0 && Object.keys(result.shown).length === slots.length) resolve();
            });
          }
        }
      };
      const observer = new MutationObserver(check);
      observers.push(observer);
      observer.observe(document.body, { subtree: true, attributes: true, childList: true });
    });
    row.click();
    await done;
    for (const o of observers) o.disconnect();
    await painted();
    const frontalMs = result.shown.frontal ?? Number.NaN;
    const lateralMs = result.shown.lateral ?? Number.NaN;
    return {
      frontalMs,
      lateralMs,
      bothMs: Math.max(frontalMs, lateralMs),
      frontalFirstPaintMs: result.first.frontal ?? frontalMs,
      lateralFirstPaintMs: result.first.lateral ?? lateralMs,
      errors: result.errors,
      resources: performance
        .getEntriesByType("resource")
        .filter((e) => e.startTime >= t0)
        .map(
          (e) =>
            `${e.name.replace(/^.*\/(files|trpc)\//, "$1/").slice(0, 60)} ${(e.startTime - t0).toFixed(0)}-${((e as PerformanceResourceTiming).responseEnd - t0).toFixed(0)}`,
        ),
    };
  }, studyId);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      studies: { type: "string", default: "6" },
      "cold-runs": { type: "string", default: "5" },
      out: { type: "string", default: path.join(appRoot(), "bench-results") },
    },
  });
  const studyCount = integerOption(values.studies, "--studies", 2);
  const coldRuns = integerOption(values["cold-runs"], "--cold-runs", 0);
  requireBuiltRenderer();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bench-viewer-"));
  const dataDir = path.join(tmp, "data");
  let harness: Awaited<ReturnType<typeof spawnHarness>> | null = null;
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  try {
    console.error(`making ${studyCount} 2-view 2k studies (gdcmconv, dcmodify, dcmcjpls)...`);
    const made = makeTwoKStudies(path.join(tmp, "files"), studyCount);
    console.error("importing them...");
    const importStarted = performance.now();
    const services = createServices({ dataDir, transport: "loopback", modelPackDir: null });
    let importMs: number;
    let viewerCopiesMs: number;
    try {
      const result = await services.importer.importPaths(
        made.map((s) => s.folder),
        { source: "import" },
      );
      if (result.failures.length > 0)
        throw new UserError(`the import refused: ${result.failures.map((f) => `${f.path}: ${f.reason}`).join("; ")}`);
      importMs = performance.now() - importStarted;
      const t = performance.now();
      await services.files.viewerCopiesIdle();
      viewerCopiesMs = performance.now() - t;
    } finally {
      services.close();
    }

    const loadAverageBefore = loadAverage();
    harness = await spawnHarness(dataDir, ["--no-demo-studies", "--model-pack", "none"]);
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    // tsx (esbuild keepNames) wraps named functions in __name(), which the page does not have.
    await page.addInitScript({ content: "globalThis.__name = (f) => f;" });
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const openPage = async () => {
      // A new document each time (the same URL again would only be a same-document navigation to its #token).
      await page.goto("about:blank");
      await page.goto(harness!.url);
      await page
        .locator(".worklist-row")
        .nth(studyCount - 1)
        .waitFor({ timeout: 60_000 });
    };
    await openPage();
    const ids = await page.evaluate(
      (descriptions) =>
        descriptions.map((d) => {
          const row = Array.from(document.querySelectorAll<HTMLElement>(".worklist-row")).find((r) =>
            r.textContent?.includes(d),
          );
          return row?.dataset.studyId ?? "";
        }),
      made.map((s) => s.description),
    );
    if (ids.some((id) => !id)) throw new UserError("a benchmark study is missing from the worklist");

    console.error("warm: one click per study in one page...");
    const warmClicks: Click[] = [];
    let firstClick: Click | null = null;
    for (const [i, id] of ids.entries()) {
      const click = await clickStudy(page, id);
      if (i === 0) firstClick = click;
      else warmClicks.push(click);
    }
    console.error(`cold: ${coldRuns} reloaded pages, first click each...`);
    const coldClicks: Click[] = firstClick ? [firstClick] : [];
    for (let i = 1; i < coldRuns; i++) {
      await openPage();
      coldClicks.push(await clickStudy(page, ids[i % ids.length]!));
    }
    // The same after a page load, but clicked once the viewer's chunk has loaded (as a reader who clicks a moment after
    // the rows show): the difference from "cold" is the chunk's fetch, compile and set-up on the page's main thread.
    console.error(`cold, viewer loaded: ${coldRuns} reloaded pages, first click once the viewer is ready...`);
    const settledClicks: Click[] = [];
    for (let i = 0; i < coldRuns; i++) {
      await openPage();
      await page.locator("main.viewer-area:not([aria-busy])").waitFor({ timeout: 60_000 });
      settledClicks.push(await clickStudy(page, ids[(i + 1) % ids.length]!));
    }
    const loadAverageAfter = loadAverage();
    const errors = [...warmClicks, ...coldClicks, ...settledClicks].flatMap((c) => c.errors);

    const stat = (clicks: Click[], key: keyof Omit<Click, "errors" | "resources">) => {
      const xs = clicks.map((c) => c[key]);
      return { p50: percentile(xs, 50), max: Math.max(...xs), n: xs.length };
    };
    const keys = ["frontalFirstPaintMs", "frontalMs", "lateralFirstPaintMs", "lateralMs", "bothMs"] as const;
    const summary = (clicks: Click[]) => Object.fromEntries(keys.map((k) => [k, stat(clicks, k)]));
    const warm = summary(warmClicks);
    const cold = summary(coldClicks);
    const settled = summary(settledClicks);
    const created = new Date().toISOString();
    const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : "n/a");
    const label: Record<(typeof keys)[number], string> = {
      frontalFirstPaintMs: "J2K frontal, first paint",
      frontalMs: "J2K frontal, full resolution",
      lateralFirstPaintMs: "JPEG-LS lateral, first paint",
      lateralMs: "JPEG-LS lateral, full resolution",
      bothMs: "both views at full resolution",
    };
    const md = [
      `## Viewer first image benchmark — ${created}`,
      "",
      `Machine: ${os.cpus()[0]?.model ?? "unknown"}, ${os.availableParallelism()} CPUs; load average ${loadAverageBefore.join(" ")} before, ${loadAverageAfter.join(" ")} after. Chromium (${await browser.version()}) through the loopback harness; ${studyCount} 2-view studies of the 1955×1841 CR chest (frontal JPEG 2000 lossless, lateral JPEG-LS lossless) imported in ${(importMs / 1000).toFixed(1)} s, the viewer's decoded copies written ${(viewerCopiesMs / 1000).toFixed(1)} s later. Click on the worklist row to the image drawn (target ≤ 400 ms).`,
      "",
      markdownTable(
        [
          "viewport",
          "warm p50 ms",
          "warm max ms",
          "cold p50 ms",
          "cold max ms",
          "cold, viewer loaded p50 ms",
          "cold, viewer loaded max ms",
        ],
        keys.map((k) => [
          label[k],
          ms(warm[k]!.p50),
          ms(warm[k]!.max),
          ms(cold[k]!.p50),
          ms(cold[k]!.max),
          ms(settled[k]!.p50),
          ms(settled[k]!.max),
        ]),
      ),
      "",
      `Warm: ${warmClicks.length} clicks on studies not yet shown, in one page. Cold: ${coldClicks.length} first clicks after a page load, as soon as the rows show (the viewer's chunk still loading). Cold, viewer loaded: ${settledClicks.length} first clicks after a page load once the viewer's chunk has loaded.${errors.length ? ` Errors: ${errors.join("; ")}` : ""}${pageErrors.length ? ` Page errors: ${pageErrors.join("; ")}` : ""}`,
    ].join("\n");
    const result = {
      created,
      loadAverageBefore,
      loadAverageAfter,
      chromium: await browser.version(),
      studies: studyCount,
      importMs,
      viewerCopiesMs,
      warm,
      cold,
      coldViewerLoaded: settled,
      warmClicks,
      coldClicks,
      coldViewerLoadedClicks: settledClicks,
      errors,
      pageErrors,
    };
    const file = writeResults(values.out!, "viewer", result, md);
    console.log(md);
    console.log(`\nwrote ${file} and .md`);
  } finally {
    await browser?.close();
    await harness?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runCli(main);
