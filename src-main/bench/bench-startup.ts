/// <reference lib="dom" />
/**
 * npm run bench:startup -- [--runs 5] [--model-pack DIR|none] [--entry built|source|both] [--out bench-results]
 *
 * Start-up of the workstation on the harness path (issue 19.4): from process start to a usable worklist. A data
 * folder is prepared once (the demo studies imported, as after a first start), then --runs times: Chromium is already
 * running (in Electron the window is part of the app; here the browser is the window), the harness is spawned with
 * the default model pack, and the time is taken at
 *   - the harness's "listening" line,
 *   - the page's DOMContentLoaded,
 *   - the first worklist row drawn and the search box enabled: **usable** (target ≤ 1.5 s),
 *   - the status bar saying the model pack is ready (it loads in the background; until then it says so).
 * --entry: the harness as electron-vite built it (out/main/harness.js: what `npm run serve` runs, bundled as the
 * Electron main process is; default), through tsx from source (as the tests start it), or both, alternating restart
 * by restart. p50 / max over the runs. Timings are printed, never asserted. Load average before and after; JSON +
 * Markdown under --out (git-ignored). Needs the build (npx electron-vite build).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { percentile } from "../cli/inference-cli-support";
import { integerOption, markdownTable, runCli, UserError } from "../cli/language-cli-support";
import { appRoot } from "../paths";
import {
  type HarnessEntry,
  harnessEntryArgs,
  launchChromium,
  loadAverage,
  requireBuiltRenderer,
  spawnHarness,
  writeResults,
} from "./harness-bench-support";

interface Run {
  listeningMs: number;
  domContentLoadedMs: number;
  usableMs: number;
  modelReadyMs: number | null;
  rows: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "5" },
      "model-pack": { type: "string" },
      entry: { type: "string", default: "built" },
      out: { type: "string", default: path.join(appRoot(), "bench-results") },
    },
  });
  const runs = integerOption(values.runs, "--runs");
  requireBuiltRenderer();
  const entryFlag = values.entry!;
  if (entryFlag !== "built" && entryFlag !== "source" && entryFlag !== "both")
    throw new UserError(`--entry must be built, source or both, got "${entryFlag}"`);
  const entries: HarnessEntry[] = entryFlag === "both" ? ["built", "source"] : [entryFlag];
  for (const entry of entries) harnessEntryArgs(entry);
  const packArgs = values["model-pack"] ? ["--model-pack", values["model-pack"]] : [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bench-startup-"));
  const dataDir = path.join(tmp, "data");
  const browser = await launchChromium();
  try {
    console.error("first start (imports the demo studies)...");
    const first = await spawnHarness(dataDir, packArgs, entries[0]);
    await first.stop();

    const loadAverageBefore = loadAverage();
    const samples: Record<HarnessEntry, Run[]> = { built: [], source: [] };
    // The entries alternate restart by restart, so that both see the same load.
    for (let i = 0; i < runs; i++) {
      for (const entry of entries) {
        const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
        const harness = await spawnHarness(dataDir, packArgs, entry);
        try {
          const since = (t: number) => t - harness.spawnedAt;
          let domContentLoadedAt = 0;
          page.once("domcontentloaded", () => {
            domContentLoadedAt = performance.now();
          });
          await page.goto(harness.url, { waitUntil: "commit" });
          await page.locator(".worklist-row").first().waitFor({ timeout: 60_000 });
          await page.locator("input[type=search]:enabled").first().waitFor({ timeout: 60_000 });
          const usableAt = performance.now();
          const rows = await page.locator(".worklist-row").count();
          let modelReadyMs: number | null = null;
          try {
            await page.locator('[data-testid="status-model"]:not([data-state="loading"])').waitFor({ timeout: 60_000 });
            modelReadyMs = since(performance.now());
          } catch {
            /* the pack did not load within a minute */
          }
          samples[entry].push({
            listeningMs: harness.listeningMs,
            domContentLoadedMs: domContentLoadedAt ? since(domContentLoadedAt) : Number.NaN,
            usableMs: since(usableAt),
            modelReadyMs,
            rows,
          });
          console.error(`run ${i + 1} (${entry}): usable ${since(usableAt).toFixed(0)} ms`);
        } finally {
          await page.close();
          await harness.stop();
        }
      }
    }
    const loadAverageAfter = loadAverage();
    const stat = (xs: number[]) => ({ p50: percentile(xs, 50), max: Math.max(...xs) });
    const summarise = (runsOf: Run[]) => ({
      listeningMs: stat(runsOf.map((s) => s.listeningMs)),
      domContentLoadedMs: stat(runsOf.map((s) => s.domContentLoadedMs)),
      usableMs: stat(runsOf.map((s) => s.usableMs)),
      modelReadyMs: stat(runsOf.map((s) => s.modelReadyMs ?? Number.NaN)),
    });
    const summary = Object.fromEntries(entries.map((e) => [e, summarise(samples[e])])) as Partial<
      Record<HarnessEntry, ReturnType<typeof summarise>>
    >;
    const created = new Date().toISOString();
    const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : "n/a");
    const label: Record<HarnessEntry, string> = {
      built: "built (out/main/harness.js, npm run serve)",
      source: "source (tsx src-main/harness/cli.ts)",
    };
    const row = (name: string, key: keyof ReturnType<typeof summarise>) => [
      name,
      ...entries.flatMap((e) => [ms(summary[e]![key].p50), ms(summary[e]![key].max)]),
    ];
    const rowCount = samples[entries[0]!][0]?.rows ?? 0;
    const md = [
      `## Start-up benchmark (harness path) — ${created}`,
      "",
      `Machine: ${os.cpus()[0]?.model ?? "unknown"}, ${os.availableParallelism()} CPUs; load average ${loadAverageBefore.join(" ")} before, ${loadAverageAfter.join(" ")} after. ${runs} restarts per entry on a data folder holding the demo studies (${rowCount} worklist rows), model pack ${values["model-pack"] ?? "default"}; Chromium already running. From process start, per harness entry:`,
      "",
      markdownTable(
        ["milestone", ...entries.flatMap((e) => [`${label[e]} p50 ms`, "max ms"])],
        [
          row("harness listening", "listeningMs"),
          row("page DOMContentLoaded", "domContentLoadedMs"),
          row("**worklist usable** (target ≤ 1500)", "usableMs"),
          row("model pack ready (background)", "modelReadyMs"),
        ],
      ),
    ].join("\n");
    const file = writeResults(
      values.out!,
      "startup",
      { created, loadAverageBefore, loadAverageAfter, runs, entries, summary, samples },
      md,
    );
    console.log(md);
    console.log(`\nwrote ${file} and .md`);
  } finally {
    await browser.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runCli(main);
