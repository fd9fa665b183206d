/**
 * End-to-end benchmark of the inference engine on a model pack, with the same checkpoint in PyTorch eager.
 *
 *   npm run bench -- [--pack DIR] [--study FOLDER | --study F.png,L.png] [--data data/iu_xray_synth] [--runs 30]
 *     [--warmup 3] [--index-studies 40] [--threads N] [--k 5] [--no-pytorch] [--out bench-results]
 *
 * 1. One 2-view study (default: the first test study of --data) drafted --runs times after --warmup runs: p50 / p95
 *    per stage — decode, preprocess, vision, diagnosis, retrieval (similar-case search on the
 *    SQLite-backed index seeded from the pack gallery + the generator's gallery lookup), encoder, beam decode — and
 *    total wall time per request.
 * 2. Batch indexing: --index-studies studies of the test split embedded (decode, preprocess, vision, thumbnail) and
 *    added to the index; studies per second.
 * 3. Peak RSS of this process (main thread and the engine's worker).
 * 4. tools/bench-pytorch-eager.py: the pack's PyTorch checkpoint on the same study with training/'s code, timed
 *    per stage the same way, at --threads and at 1 thread; the faster total p50 is the baseline of the ratio
 *    engine / PyTorch.
 * Writes JSON + Markdown to --out (git-ignored) and prints the Markdown.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { DEFAULT_EVAL_DATA_DIR, type EvalStudy, readEvalStudies } from "../cli/eval-pack";
import { collectStudyImages } from "../cli/generate";
import { asUserError, type CliCore, percentile, resolvePackDir, startCliCore } from "../cli/inference-cli-support";
import { fmt, integerOption, markdownTable, runCli, UserError } from "../cli/language-cli-support";
import { TRAINING_PYTHON } from "../cli/training-python";
import { appRoot } from "../paths";
import { defaultThreads, type GeneratedReport } from "../services/inference";
import type { Split } from "../services/language/iu-xray-data";
import { DEFAULT_ANNOTATION_PATH } from "../services/language/iu-xray-dataset";

/** The benchmark's stages, in the order printed, each with the engine timing it reads. */
const STAGE_TIMINGS = {
  decode: "decodeMs",
  preprocess: "preprocessMs",
  vision: "visionMs",
  // The diagnosis branch (the findings of the report pane and, for a prompted generator, its decisions).
  diagnosis: "diagnosisMs",
  retrieval: "retrievalMs",
  encoder: "encoderMs",
  "beam decode": "beamMs",
  total: "totalMs",
} as const satisfies Record<string, keyof GeneratedReport["timings"]>;
type Stage = keyof typeof STAGE_TIMINGS;
const STAGES = Object.keys(STAGE_TIMINGS) as Stage[];

interface PytorchResult {
  runs: number;
  threads: number;
  torch: string;
  stage_ms: Partial<Record<Stage, number[]>>;
  tokens: number[];
  retrieved_id: string;
  peak_rss_bytes: number;
}

function runPytorch(
  packDir: string,
  study: EvalStudy,
  runs: number,
  warmup: number,
  threads: number,
  k: number,
): PytorchResult | { error: string } {
  const script = path.join(appRoot(), "tools", "bench-pytorch-eager.py");
  const args = [script, "--pack", packDir, "--frontal", study.frontal, "--lateral", study.lateral];
  args.push("--runs", String(runs), "--warmup", String(warmup), "--threads", String(threads), "--k", String(k));
  args.push("--exclude", study.id);
  const run = spawnSync(TRAINING_PYTHON, args, {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, OMP_WAIT_POLICY: "PASSIVE" },
  });
  if (run.error) return { error: `cannot run /usr/bin/python3: ${run.error.message}` };
  if (run.status !== 0)
    return { error: `PyTorch benchmark failed (exit ${run.status}): ${run.stderr.trim().slice(-1500)}` };
  try {
    return JSON.parse(run.stdout.trim().split("\n").pop() ?? "") as PytorchResult;
  } catch {
    return { error: `PyTorch benchmark printed no JSON: ${run.stdout.slice(-500)}` };
  }
}

/**
 * Where the benchmark's studies come from: --data, else the generated synthetic set (data/iu_xray_synth), else — on a
 * fresh clone, where nothing is generated yet — the bundled fixture studies (test/fixtures/synth, with their own
 * annotation: one test study, CXR260_IM-1090, and seven train studies for batch indexing).
 */
function benchData(dataFlag: string | undefined): { dir: string; annotation: string; indexSplit: Split } {
  if (dataFlag !== undefined || fs.existsSync(DEFAULT_EVAL_DATA_DIR))
    return {
      dir: path.resolve(dataFlag ?? DEFAULT_EVAL_DATA_DIR),
      annotation: DEFAULT_ANNOTATION_PATH,
      indexSplit: "test",
    };
  const dir = path.join(appRoot(), "test", "fixtures", "synth");
  console.error(`${DEFAULT_EVAL_DATA_DIR} not generated: benchmarking the bundled study fixtures in ${dir}`);
  return { dir, annotation: path.join(dir, "annotation.json"), indexSplit: "train" };
}

async function pickStudy(studyFlag: string | undefined, data: { dir: string; annotation: string }): Promise<EvalStudy> {
  if (studyFlag) {
    const parts = studyFlag.split(",").map((p) => p.trim());
    const { files, studyId } = await collectStudyImages(parts);
    if (files.length !== 2)
      throw new UserError(`--study must give exactly 2 images (frontal, lateral), found ${files.length}`);
    return { id: studyId, frontal: files[0]!, lateral: files[1]! };
  }
  return readEvalStudies(data.dir, "test", data.annotation)[0]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pack: { type: "string" },
      study: { type: "string" },
      data: { type: "string" },
      runs: { type: "string", default: "30" },
      warmup: { type: "string", default: "3" },
      "index-studies": { type: "string", default: "40" },
      threads: { type: "string" },
      k: { type: "string", default: "5" },
      "no-pytorch": { type: "boolean", default: false },
      out: { type: "string", default: path.join(appRoot(), "bench-results") },
    },
  });
  const runs = integerOption(values.runs, "--runs");
  const warmup = integerOption(values.warmup, "--warmup", 0);
  const indexStudies = integerOption(values["index-studies"], "--index-studies", 0);
  const threads = values.threads === undefined ? defaultThreads() : integerOption(values.threads, "--threads");
  const k = integerOption(values.k, "--k");
  if (k > 100) throw new UserError(`--k must be at most 100, got ${k}`);
  const packDir = resolvePackDir(values.pack);
  const data = benchData(values.data);
  const study = await pickStudy(values.study, data);
  const indexSet =
    indexStudies > 0 ? readEvalStudies(data.dir, data.indexSplit, data.annotation).slice(0, indexStudies) : [];
  const loadAverageBefore = os.loadavg();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bench-"));
  let core: CliCore | null = null;
  try {
    core = await startCliCore(tmp, packDir, { intraOpNumThreads: threads });
    const { engine, retrieval } = core;
    const reports = core.reports ?? new Map();
    const info = engine.info;
    const bar = new cliProgress.SingleBar(
      { format: "{phase} [{bar}] {value}/{total}", hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const images = [
      { path: study.frontal, view: "frontal" as const },
      { path: study.lateral, view: "lateral" as const },
    ];
    bar.start(warmup + runs, 0, { phase: "engine: 2-view study" });
    const samples: Record<Stage, number[]> = Object.fromEntries(STAGES.map((s) => [s, []])) as never;
    let last: GeneratedReport | null = null;
    for (let i = 0; i < warmup + runs; i++) {
      const report = await engine.generateFromImages(images, { k, excludeIds: [study.id] });
      if (i >= warmup) for (const stage of STAGES) samples[stage].push(report.timings[STAGE_TIMINGS[stage]]);
      last = report;
      bar.increment();
    }
    bar.stop();

    let indexing: { studies: number; seconds: number; studiesPerSecond: number } | null = null;
    if (indexSet.length > 0) {
      bar.start(indexSet.length, 0, { phase: "engine: batch indexing" });
      const started = performance.now();
      const inFlight = 2;
      let next = 0;
      const worker = async () => {
        while (next < indexSet.length) {
          const s = indexSet[next++]!;
          const embedded = await engine.embedStudy(
            [
              { path: s.frontal, view: "frontal" },
              { path: s.lateral, view: "lateral" },
            ],
            { thumbnail: true },
          );
          const entry = reports.get(s.id);
          retrieval.addCase({
            studyId: s.id,
            report: entry?.report ?? "",
            labels: entry?.labels ?? Array(14).fill(null),
            source: "indexed",
            modelId: embedded.modelId,
            vector: embedded.vector,
            thumbnail: embedded.thumbnail,
          });
          bar.increment();
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      const seconds = (performance.now() - started) / 1000;
      bar.stop();
      indexing = { studies: indexSet.length, seconds, studiesPerSecond: indexSet.length / seconds };
    }
    const enginePeakRss = process.resourceUsage().maxRSS * 1024;

    // PyTorch at the engine's thread count and at 1 thread (on this small shared CPU one thread is often faster for
    // its tiny decoder steps); the faster total p50 is the baseline, so the ratio never flatters the engine.
    let pytorch: PytorchResult | { error: string } | null = null;
    const pytorchVariants: { threads: number; totalP50: number }[] = [];
    if (!values["no-pytorch"]) {
      for (const torchThreads of [...new Set([threads, 1])]) {
        console.error(
          `PyTorch eager, ${torchThreads} thread(s): ${warmup + runs} runs of the same study (tools/bench-pytorch-eager.py)...`,
        );
        const run = runPytorch(packDir, study, runs, warmup, torchThreads, k);
        if ("error" in run) {
          pytorch ??= run;
          continue;
        }
        const totalP50 = percentile(run.stage_ms.total ?? [], 50);
        pytorchVariants.push({ threads: torchThreads, totalP50 });
        if (!pytorch || "error" in pytorch || totalP50 < percentile(pytorch.stage_ms.total ?? [], 50)) pytorch = run;
      }
    }
    const loadAverageAfter = os.loadavg();

    const stat = (xs: readonly number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), n: xs.length });
    const engineStats = Object.fromEntries(STAGES.map((s) => [s, stat(samples[s])])) as Record<
      Stage,
      ReturnType<typeof stat>
    >;
    const torchOk = pytorch && !("error" in pytorch) ? pytorch : null;
    const torchStats = torchOk
      ? (Object.fromEntries(STAGES.map((s) => [s, stat(torchOk.stage_ms[s] ?? [])])) as Record<
          Stage,
          ReturnType<typeof stat>
        >)
      : null;
    const sameTokens = torchOk && last ? JSON.stringify(torchOk.tokens) === JSON.stringify(last.tokens) : null;
    const result = {
      created: new Date().toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model ?? "unknown",
        cpus: os.cpus().length,
        availableParallelism: os.availableParallelism(),
        node: process.versions.node,
        platform: `${process.platform} ${process.arch}`,
        loadAverageBefore,
        loadAverageAfter,
      },
      pack: { dir: info.packDir, name: info.name, version: info.version, modelId: info.modelId },
      engine: {
        executionProvider: info.executionProvider,
        providerNotes: info.providerNotes,
        intraOpNumThreads: info.intraOpNumThreads,
        loadMs: info.loadMs,
        warmupMs: info.warmupMs,
      },
      study: { id: study.id, frontal: study.frontal, lateral: study.lateral },
      runs,
      warmup,
      k,
      stagesMs: engineStats,
      steps: last?.steps ?? null,
      tokens: last?.tokens ?? null,
      findings: last?.findings ?? null,
      indexing,
      indexCases: retrieval.count,
      peakRssBytes: enginePeakRss,
      pytorch: torchOk
        ? {
            torch: torchOk.torch,
            threads: torchOk.threads,
            stagesMs: torchStats,
            peakRssBytes: torchOk.peak_rss_bytes,
            sameTokens,
            retrievedId: torchOk.retrieved_id,
            variants: pytorchVariants,
          }
        : pytorch && "error" in pytorch
          ? { error: pytorch.error }
          : null,
      ratioTotalP50: torchStats ? engineStats.total.p50 / torchStats.total.p50 : null,
    };
    const md = renderMarkdown(result, engineStats, torchStats);
    fs.mkdirSync(values.out!, { recursive: true });
    const stamp = result.created.replace(/[:.]/g, "-");
    for (const name of [`inference-${stamp}`, "inference-latest"]) {
      fs.writeFileSync(path.join(values.out!, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
      fs.writeFileSync(path.join(values.out!, `${name}.md`), `${md}\n`);
    }
    console.log(md);
    console.log(`\nwrote ${path.join(values.out!, `inference-${stamp}.json`)} and .md`);
  } catch (error) {
    throw asUserError(error);
  } finally {
    await core?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function renderMarkdown(
  r: {
    created: string;
    machine: { cpu: string; availableParallelism: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
    pack: { name: string; version: string };
    engine: { executionProvider: string; intraOpNumThreads: number; loadMs: number; warmupMs: number };
    study: { id: string };
    runs: number;
    steps: number | null;
    indexing: { studies: number; seconds: number; studiesPerSecond: number } | null;
    indexCases: number;
    peakRssBytes: number;
    pytorch:
      | {
          torch: string;
          threads: number;
          peakRssBytes: number;
          sameTokens: boolean | null;
          variants: { threads: number; totalP50: number }[];
        }
      | { error: string }
      | null;
    ratioTotalP50: number | null;
  },
  engine: Record<Stage, { p50: number; p95: number }>,
  torch: Record<Stage, { p50: number; p95: number }> | null,
): string {
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "n/a");
  const rows = STAGES.map((s) => [
    s,
    ms(engine[s].p50),
    ms(engine[s].p95),
    torch ? ms(torch[s].p50) : "n/a",
    torch ? ms(torch[s].p95) : "n/a",
    torch && torch[s].p50 > 0 ? fmt(engine[s].p50 / torch[s].p50, 2) : "n/a",
  ]);
  const lines = [
    `## Inference benchmark — ${r.pack.name} ${r.pack.version}, ${r.created}`,
    "",
    `Machine: ${r.machine.cpu}, ${r.machine.availableParallelism} CPUs available, load average ${r.machine.loadAverageBefore.map((x) => x.toFixed(1)).join(" ")} before, ${r.machine.loadAverageAfter.map((x) => x.toFixed(1)).join(" ")} after (other work shares this machine).`,
    `Engine: onnxruntime-node ${r.engine.executionProvider.toUpperCase()}, ${r.engine.intraOpNumThreads} intra-op threads; pack load ${r.engine.loadMs.toFixed(0)} ms, warm-up ${r.engine.warmupMs.toFixed(0)} ms.`,
    `Study ${r.study.id} (2 views), ${r.runs} runs after warm-up, ${r.steps ?? "?"} beam steps; retrieval over ${r.indexCases} cases.`,
    "",
    markdownTable(
      ["stage", "engine p50 ms", "engine p95 ms", "PyTorch p50 ms", "PyTorch p95 ms", "engine / PyTorch (p50)"],
      rows,
    ),
    "",
    "The engine's total is the wall time of a request; its similar-case search overlaps the generator, so the total is less than the sum of the stages. Both sides run the diagnosis branch and feed its decisions to the prompted generator.",
    "",
    `- Batch indexing (decode, preprocess, vision, thumbnail, SQLite insert): ${r.indexing ? `${r.indexing.studiesPerSecond.toFixed(2)} studies/s (${r.indexing.studies} studies in ${r.indexing.seconds.toFixed(1)} s)` : "not run"}`,
    `- Peak RSS: engine process ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB${r.pytorch && !("error" in r.pytorch) ? `, PyTorch process ${(r.pytorch.peakRssBytes / 2 ** 20).toFixed(0)} MiB` : ""}`,
  ];
  if (r.pytorch && "error" in r.pytorch) lines.push(`- PyTorch eager: ${r.pytorch.error}`);
  else if (r.pytorch)
    lines.push(
      `- PyTorch eager: torch ${r.pytorch.torch}, the faster of ${r.pytorch.variants.map((v) => `${v.threads} thread${v.threads === 1 ? "" : "s"} (total p50 ${ms(v.totalP50)} ms)`).join(" and ")}: ${r.pytorch.threads}; same generated tokens as the engine: ${r.pytorch.sameTokens ? "yes" : "no"}`,
      `- Total p50 engine / PyTorch: ${r.ratioTotalP50 !== null ? r.ratioTotalP50.toFixed(2) : "n/a"} (target <= 0.5); engine total p50 ${ms(engine.total.p50)} ms (target <= 400 ms)`,
    );
  return lines.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) runCli(main);
