/**
 * npm run bench:real -- [--pack DIR] [--runs 15] [--warmup 2] [--threads N] [--out bench-results]
 *
 * A real 2k×2k 2-view study, drafted end to end, beside GDCM's native decoders on the same files in the same run.
 * The study is made here from the shared 1955×1841 15-bit CR chest (RG1_CR_chest_J2KI.dcm): GDCM writes it as JPEG 2000
 * lossless (the frontal) and dcmtk as JPEG-LS lossless (the lateral). Printed, p50 over --runs:
 *   - `gdcmconv --raw` per file (GDCM's native OpenJPEG / CharLS, file I/O included);
 *   - the engine's decode of each file at full resolution, and as the engine decodes it for the model input
 *     (DecodeImageOptions.minLongSide: J2K at a reduced resolution level, JPEG-LS through CharLS), with the ratios;
 *   - the whole draft from request to tokens (engine.generateFromImages), per stage (target: total ≤ 500 ms).
 * Load average before and after. JSON + Markdown under --out (git-ignored).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { asUserError, type CliCore, percentile, resolvePackDir, startCliCore } from "../cli/inference-cli-support";
import { integerOption, markdownTable, runCli, UserError } from "../cli/language-cli-support";
import { appRoot } from "../paths";
import { decodeImageFile } from "../services/imaging";
import { defaultThreads } from "../services/inference";
import { preprocessingSpecFrom } from "../services/inference/preprocess";

const SOURCE = path.resolve(appRoot(), "../shared/data/dicom/RG1_CR_chest_J2KI.dcm");

function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT")
      throw new UserError(`${command} is not installed (Debian: libgdcm-tools / dcmtk; ./scripts/bootstrap.sh)`);
    throw new UserError(`${command} ${args.join(" ")} failed: ${String((error as Error).message).slice(0, 300)}`);
  }
}

async function timed(runs: number, warmup: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t = performance.now();
    await fn();
    if (i >= warmup) times.push(performance.now() - t);
  }
  return percentile(times, 50);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pack: { type: "string" },
      runs: { type: "string", default: "15" },
      warmup: { type: "string", default: "2" },
      threads: { type: "string" },
      out: { type: "string", default: path.join(appRoot(), "bench-results") },
    },
  });
  const runs = integerOption(values.runs, "--runs");
  const warmup = integerOption(values.warmup, "--warmup", 0);
  const threads = values.threads === undefined ? defaultThreads() : integerOption(values.threads, "--threads");
  const packDir = resolvePackDir(values.pack);
  if (!fs.existsSync(SOURCE)) throw new UserError(`the shared 2k chest ${SOURCE} is missing`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bench-real-"));
  let core: CliCore | null = null;
  try {
    const raw = path.join(tmp, "raw.dcm");
    const files = {
      "JPEG 2000 lossless": path.join(tmp, "frontal-j2k.dcm"),
      "JPEG-LS lossless": path.join(tmp, "lateral-jpegls.dcm"),
    };
    run("gdcmconv", ["--raw", SOURCE, raw]);
    run("gdcmconv", ["--j2k", raw, files["JPEG 2000 lossless"]]);
    run("dcmcjpls", [raw, files["JPEG-LS lossless"]]);
    const loadAverageBefore = os.loadavg();

    core = await startCliCore(tmp, packDir, { intraOpNumThreads: threads });
    const { engine } = core;
    const size = preprocessingSpecFrom(engine.manifest.preprocessing).size;
    const decodes: {
      syntax: string;
      file: string;
      width: number;
      height: number;
      reduced: string;
      gdcmMs: number;
      fullMs: number;
      modelInputMs: number;
    }[] = [];
    for (const [syntax, file] of Object.entries(files)) {
      const gdcmMs = await timed(runs, warmup, () => run("gdcmconv", ["--raw", file, path.join(tmp, "out.dcm")]));
      const fullMs = await timed(runs, warmup, () => decodeImageFile(file));
      const modelInputMs = await timed(runs, warmup, () => decodeImageFile(file, { minLongSide: size }));
      const full = await decodeImageFile(file);
      const reduced = await decodeImageFile(file, { minLongSide: size });
      decodes.push({
        syntax,
        file: path.basename(file),
        width: full.width,
        height: full.height,
        reduced: reduced.resolutionLevel
          ? `${reduced.width}×${reduced.height} (level ${reduced.resolutionLevel})`
          : "full size",
        gdcmMs,
        fullMs,
        modelInputMs,
      });
    }

    const images = [
      { path: files["JPEG 2000 lossless"], view: "frontal" as const },
      { path: files["JPEG-LS lossless"], view: "lateral" as const },
    ];
    const stages = {
      decode: [] as number[],
      preprocess: [] as number[],
      vision: [] as number[],
      beam: [] as number[],
      total: [] as number[],
    };
    for (let i = 0; i < warmup + runs; i++) {
      const report = await engine.generateFromImages(images, { k: 5 });
      if (i < warmup) continue;
      stages.decode.push(report.timings.decodeMs);
      stages.preprocess.push(report.timings.preprocessMs);
      stages.vision.push(report.timings.visionMs);
      stages.beam.push(report.timings.beamMs);
      stages.total.push(report.timings.totalMs);
    }
    const loadAverageAfter = os.loadavg();
    const draft = Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, percentile(v, 50)])) as Record<
      keyof typeof stages,
      number
    >;

    const ms = (v: number) => v.toFixed(1);
    const created = new Date().toISOString();
    const md = [
      `## Real 2k study benchmark — ${created}`,
      "",
      `Machine: ${os.cpus()[0]?.model ?? "unknown"}, ${os.availableParallelism()} CPUs; load average ${loadAverageBefore.map((x) => x.toFixed(1)).join(" ")} before, ${loadAverageAfter.map((x) => x.toFixed(1)).join(" ")} after. Pack ${engine.info.name} (input ${size} px), ${threads} intra-op threads, ${runs} runs after ${warmup} warm-up, p50.`,
      "",
      markdownTable(
        [
          "file",
          "size",
          "decoded for the model",
          "GDCM gdcmconv --raw ms",
          "engine full-res ms",
          "engine for the model ms",
          "full-res / GDCM",
          "for the model / GDCM",
        ],
        decodes.map((d) => [
          d.syntax,
          `${d.width}×${d.height}`,
          d.reduced,
          ms(d.gdcmMs),
          ms(d.fullMs),
          ms(d.modelInputMs),
          (d.fullMs / d.gdcmMs).toFixed(2),
          (d.modelInputMs / d.gdcmMs).toFixed(2),
        ]),
      ),
      "",
      `Draft of the 2-view study, request to tokens (p50): decode ${ms(draft.decode)} ms, preprocess ${ms(draft.preprocess)} ms, vision ${ms(draft.vision)} ms, beam ${ms(draft.beam)} ms, **total ${ms(draft.total)} ms** (target ≤ 500 ms).`,
    ].join("\n");
    const result = {
      created,
      loadAverageBefore,
      loadAverageAfter,
      runs,
      warmup,
      threads,
      modelInputSize: size,
      decodes,
      draftP50Ms: draft,
    };
    fs.mkdirSync(values.out!, { recursive: true });
    const stamp = created.replace(/[:.]/g, "-");
    for (const name of [`real-study-${stamp}`, "real-study-latest"]) {
      fs.writeFileSync(path.join(values.out!, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
      fs.writeFileSync(path.join(values.out!, `${name}.md`), `${md}\n`);
    }
    console.log(md);
    console.log(`\nwrote ${path.join(values.out!, `real-study-${stamp}.json`)} and .md`);
  } catch (error) {
    throw asUserError(error);
  } finally {
    await core?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runCli(main);
