/**
 * `npm run eval -- --pack DIR --split test [--data data/iu_xray_synth] [--out OUT.json] [--threads N]`: the engine
 * generates a report for every study of the split of a dataset laid out as R2Gen's IU-Xray (a dataset manifest, or
 * annotation.json + images/<id>/0.png, 1.png), then the language toolkit scores the raw generated tokens.
 */
import fs from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import { z } from "zod";
import { appRoot } from "../paths";
import { type InferenceEngine, startInferenceCore } from "../services/inference";
import { type EvaluationResult, evaluateReports, type Prediction } from "../services/language/evaluate-reports";
import type { Split } from "../services/language/iu-xray-data";
import { DEFAULT_ANNOTATION_PATH, loadAnnotationFile } from "../services/language/iu-xray-dataset";
import { R2GenTokenizer } from "../services/language/r2gen-tokenizer";
import type { ReferenceConvention } from "../services/language/references";
import { readModelPackManifest } from "../services/model-pack";
import type { NamingRate } from "../services/reports/finding-review";
import { drawnNamingRates } from "./drawn-naming";
import { asUserError, percentile, resolvePackDir } from "./inference-cli-support";
import { UserError } from "./language-cli-support";

export const DEFAULT_EVAL_DATA_DIR = path.join(appRoot(), "data", "iu_xray_synth");

export interface EvalStudy {
  id: string;
  frontal: string;
  lateral: string;
  /** The finding kinds the renderer drew (a tools/synth dataset's manifest), else undefined. */
  drawn?: string[];
}

const manifestSchema = z.object({
  root: z.string().optional(),
  studies: z.array(
    z.object({
      id: z.string().min(1),
      split: z.string(),
      images: z.tuple([z.string().min(1), z.string().min(1)]),
      drawn_findings: z.array(z.object({ kind: z.string() })).optional(),
    }),
  ),
});

/** The studies of `split` with their two image files, from `<data>/manifest.json` or the R2Gen layout. */
export function readEvalStudies(dataDir: string, split: Split, annotationPath: string): EvalStudy[] {
  const manifestPath = path.join(dataDir, "manifest.json");
  let studies: EvalStudy[];
  if (fs.existsSync(manifestPath)) {
    let parsed: z.infer<typeof manifestSchema>;
    try {
      parsed = manifestSchema.parse(JSON.parse(fs.readFileSync(manifestPath, "utf8")));
    } catch (error) {
      const detail =
        error instanceof z.ZodError
          ? `${error.issues[0]?.path.join(".")}: ${error.issues[0]?.message}`
          : (error as Error).message;
      throw new UserError(`${manifestPath}: not a dataset manifest (${detail})`);
    }
    // The manifest's root is where it was written; a copied dataset folder is its own root.
    const root = parsed.root && fs.existsSync(parsed.root) ? parsed.root : dataDir;
    studies = parsed.studies
      .filter((s) => s.split === split)
      .map((s) => ({
        id: s.id,
        frontal: path.resolve(root, s.images[0]),
        lateral: path.resolve(root, s.images[1]),
        ...(s.drawn_findings ? { drawn: [...new Set(s.drawn_findings.map((f) => f.kind))] } : {}),
      }));
  } else {
    if (!fs.existsSync(dataDir))
      throw new UserError(`dataset folder ${dataDir} not found (generate the synthetic IU-Xray set, or pass --data)`);
    const annotation = loadAnnotationFile(annotationPath);
    studies = annotation[split].map((s) => ({
      id: s.id,
      frontal: path.join(dataDir, "images", s.id, "0.png"),
      lateral: path.join(dataDir, "images", s.id, "1.png"),
    }));
  }
  if (studies.length === 0) throw new UserError(`${dataDir}: no ${split} studies`);
  const missing = studies.flatMap((s) => [s.frontal, s.lateral]).filter((p) => !fs.existsSync(p));
  if (missing.length > 0)
    throw new UserError(
      `${dataDir}: ${missing.length} image files of the ${split} split are missing (first: ${missing[0]})`,
    );
  return studies;
}

export interface PackEvalOptions {
  pack: string;
  split: Split;
  data: string | undefined;
  annotation: string | undefined;
  out: string | undefined;
  convention: ReferenceConvention;
  threads: number | undefined;
}

export interface PackEvalOutcome {
  result: EvaluationResult;
  /** Per drawn finding of the pack's diagnosis branch (or every drawn kind), drafts naming it; null without drawn findings. */
  naming: NamingRate[] | null;
  /** Distinct draft texts over the split. */
  distinctDrafts: number;
  predictionsPath: string;
  outPath: string;
  seconds: number;
  perStudyMs: { p50: number; p95: number; mean: number };
  engine: InferenceEngine["info"];
}

/** Generates the split with the engine and scores it; writes predictions JSONL and the metrics JSON. */
export async function evaluatePack(options: PackEvalOptions): Promise<PackEvalOutcome> {
  const packDir = resolvePackDir(options.pack);
  const dataDir = path.resolve(options.data ?? DEFAULT_EVAL_DATA_DIR);
  const datasetAnnotation = path.join(dataDir, "annotation.json");
  const annotationPath = options.annotation
    ? path.resolve(options.annotation)
    : fs.existsSync(datasetAnnotation)
      ? datasetAnnotation
      : DEFAULT_ANNOTATION_PATH;
  const annotation = loadAnnotationFile(annotationPath);
  const studies = readEvalStudies(dataDir, options.split, annotationPath);
  // Every study generated must have its reference in the annotation: checked before minutes of generation.
  const referenced = new Set(annotation[options.split].map((s) => s.id));
  const unreferenced = studies.filter((s) => !referenced.has(s.id)).map((s) => s.id);
  if (unreferenced.length > 0) {
    throw new UserError(
      `${unreferenced.length} ${options.split} studies of ${dataDir} are missing from the annotation ${annotationPath} (first: ${unreferenced.slice(0, 5).join(", ")}): their references are unknown`,
    );
  }
  // Score with the vocabulary the pack was trained with (its manifest), never one rebuilt from this annotation.
  let tokenizer: R2GenTokenizer;
  try {
    const packTokenizer = readModelPackManifest(packDir).tokenizer;
    tokenizer = new R2GenTokenizer(packTokenizer.idx2token.slice(1), packTokenizer.max_seq_length);
  } catch (error) {
    throw asUserError(error);
  }
  const started = performance.now();
  let engine: InferenceEngine;
  try {
    // The app's start-up, without a retrieval index (eval scores the generator alone).
    ({ engine } = await startInferenceCore({
      packDir,
      retrieval: null,
      engine: options.threads ? { intraOpNumThreads: options.threads } : {},
    }));
  } catch (error) {
    throw asUserError(error);
  }
  const predictions: Prediction[] = [];
  const times: number[] = [];
  const bar = new cliProgress.SingleBar(
    { format: `generating ${options.split} [{bar}] {value}/{total} studies, ETA {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(studies.length, 0);
  try {
    for (const study of studies) {
      const report = await engine.generateFromImages(
        [
          { path: study.frontal, view: "frontal" },
          { path: study.lateral, view: "lateral" },
        ],
        { excludeIds: [study.id] },
      );
      predictions.push({ id: study.id, report: report.rawText });
      times.push(report.timings.totalMs);
      bar.increment();
    }
  } catch (error) {
    throw asUserError(error);
  } finally {
    bar.stop();
    await engine.close();
  }
  const packName = engine.info.name;
  const outPath = path.resolve(
    options.out ?? path.join(appRoot(), "data", "eval", `${packName}-${options.split}.metrics.json`),
  );
  fs.mkdirSync(path.dirname(outPath), { recursive: true });
  const predictionsPath = `${outPath.replace(/(\.metrics)?\.json$/, "")}.predictions.jsonl`;
  fs.writeFileSync(predictionsPath, `${predictions.map((p) => JSON.stringify(p)).join("\n")}\n`);
  let result: EvaluationResult;
  try {
    result = evaluateReports(predictions, {
      annotation,
      split: options.split,
      convention: options.convention,
      tokenizer,
    });
  } catch (error) {
    if (error instanceof Error && (error.name === "PredictionSetError" || error.name === "EvaluationInputError"))
      throw new UserError(`${dataDir}: ${error.message}`);
    throw error;
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const naming = studies.every((s) => s.drawn)
    ? drawnNamingRates(
        studies,
        predictions,
        readModelPackManifest(packDir).diagnosis?.findings.map((f) => f.name) ?? null,
      )
    : null;
  return {
    result,
    naming,
    distinctDrafts: new Set(predictions.map((p) => p.report)).size,
    predictionsPath,
    outPath,
    seconds: (performance.now() - started) / 1000,
    perStudyMs: { p50: percentile(times, 50), p95: percentile(times, 95), mean },
    engine: engine.info,
  };
}
