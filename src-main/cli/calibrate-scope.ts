/**
 * Calibrates the scope gate's out-of-distribution threshold for a model pack (src-shared/scope, docs/scope.md).
 *
 *   npm run calibrate-scope -- --pack models/<pack> --val <synthetic val split, R2Gen layout> [--quantile 0.01]
 *     [--measure <file or folder> ...] [--write] [--threads N]
 *
 * Scores every val study as the workstation scores a draft — the study embedding's cosine similarity to its nearest
 * gallery (train) study, from the engine's own generate — and sets the threshold at the given quantile of the val
 * scores (default 1 %: about one val study in a hundred is called "unlike the training data"). Each --measure input
 * (a file, or a folder of files = one study per file) is scored too and printed beside the threshold, so the report
 * says how well the score separates them. --write stores the result as <pack>/scope-calibration.json and lists it in
 * the manifest (scope_calibration, files with size and sha256), which the pack loader validates.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  SCOPE_CALIBRATION_FORMAT,
  type ScopeCalibration,
  ScopeCalibrationSchema,
} from "../../src-shared/scope/chest-scope";
import { InferenceEngine, type StudyImageInput } from "../services/inference";
import { readModelPackManifest } from "../services/model-pack";
import { percentile, resolvePackDir } from "./inference-cli-support";
import { ENGINE_CLI_OPTIONS, runCli, threadsOption, UserError } from "./language-cli-support";

const CALIBRATION_FILE = "scope-calibration.json";

async function score(engine: InferenceEngine, images: StudyImageInput[]): Promise<number> {
  const report = await engine.generateFromImages(images, { k: 1 });
  return engine.oodScore(report).score;
}

function measureInputs(inputs: readonly string[]): Array<{ input: string; images: StudyImageInput[] }> {
  const out: Array<{ input: string; images: StudyImageInput[] }> = [];
  for (const input of inputs) {
    const full = path.resolve(input);
    const files = fs.statSync(full).isDirectory()
      ? fs
          .readdirSync(full)
          .filter((f) => /\.(dcm|png|jpe?g)$/i.test(f))
          .sort()
          .map((f) => path.join(full, f))
      : [full];
    for (const file of files) out.push({ input: path.relative(process.cwd(), file), images: [{ path: file }] });
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...ENGINE_CLI_OPTIONS,
      val: { type: "string" },
      quantile: { type: "string", default: "0.01" },
      measure: { type: "string", multiple: true, default: [] },
      write: { type: "boolean", default: false },
    },
  });
  const packDir = resolvePackDir(values.pack);
  if (!values.val) throw new UserError("give --val <folder of the synthetic val split (npm run synth -- --split val)>");
  const quantile = Number(values.quantile);
  if (!(quantile >= 0 && quantile <= 0.5)) throw new UserError(`--quantile must be 0 to 0.5, got ${values.quantile}`);
  const valDir = path.resolve(values.val);
  const annotationPath = path.join(valDir, "annotation.json");
  if (!fs.existsSync(annotationPath)) throw new UserError(`${annotationPath} is missing`);
  const annotation = JSON.parse(fs.readFileSync(annotationPath, "utf8")) as {
    val?: Array<{ id: string; image_path: string[] }>;
  };
  const studies = annotation.val ?? [];
  if (studies.length === 0) throw new UserError(`${annotationPath} has no val studies`);
  const manifest = readModelPackManifest(packDir);
  const size = manifest.preprocessing.resize.width;
  const threads = threadsOption(values.threads);
  const engine = await InferenceEngine.start({
    packDir,
    executionProviders: ["cpu"],
    ...(threads ? { intraOpNumThreads: threads } : {}),
  });
  try {
    const scores: number[] = [];
    for (const [i, s] of studies.entries()) {
      const images: StudyImageInput[] = s.image_path.map((p, v) => ({
        path: path.join(valDir, "images", p),
        view: v === 0 ? "frontal" : "lateral",
      }));
      scores.push(await score(engine, images));
      if ((i + 1) % 50 === 0) console.error(`val: ${i + 1} / ${studies.length}`);
    }
    const threshold = percentile(scores, quantile * 100);
    const val = {
      min: Math.min(...scores),
      p01: percentile(scores, 1),
      p05: percentile(scores, 5),
      median: percentile(scores, 50),
      max: Math.max(...scores),
    };
    const measured: ScopeCalibration["measured"] = [];
    for (const m of measureInputs(values.measure ?? [])) {
      try {
        const s = await score(engine, m.images);
        measured.push({ input: m.input, score: s, belowThreshold: s < threshold });
      } catch (error) {
        console.error(`measure: ${m.input}: ${(error as Error).message}`);
      }
    }
    const calibration: ScopeCalibration = ScopeCalibrationSchema.parse({
      format: SCOPE_CALIBRATION_FORMAT,
      score:
        "cosine similarity of the study embedding to its nearest gallery (train) study, as the generator retrieves it",
      model_id: manifest.embedding.model_id,
      split: "val",
      images: `${studies.length} synthetic val studies rendered at ${size} px (npm run synth -- --split val --size ${size})`,
      studies: studies.length,
      quantile,
      threshold,
      val,
      measured,
      created: new Date().toISOString(),
    });
    const f = (x: number) => x.toFixed(6);
    console.log(`pack ${manifest.name} ${manifest.version}; ${studies.length} val studies at ${size} px`);
    console.log(
      `val scores: min ${f(val.min)}  p01 ${f(val.p01)}  p05 ${f(val.p05)}  median ${f(val.median)}  max ${f(val.max)}`,
    );
    console.log(`threshold (quantile ${quantile}): ${f(threshold)}`);
    if (measured.length > 0) {
      const below = measured.filter((m) => m.belowThreshold).length;
      console.log(`measured inputs: ${below} of ${measured.length} below the threshold`);
      for (const m of measured) console.log(`  ${f(m.score)}  ${m.belowThreshold ? "BELOW" : "above"}  ${m.input}`);
    }
    if (values.write) writeCalibration(packDir, calibration);
  } finally {
    await engine.close();
  }
}

/** Stores the calibration in the pack and lists it in the manifest (the loader checks size and sha256). */
function writeCalibration(packDir: string, calibration: ScopeCalibration): void {
  const file = path.join(packDir, CALIBRATION_FILE);
  const text = `${JSON.stringify(calibration, null, 1)}\n`;
  fs.writeFileSync(file, text);
  const manifestPath = path.join(packDir, "manifest.json");
  const manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as {
    scope_calibration?: string;
    files: Array<{ path: string; bytes: number; sha256: string }>;
  };
  const entry = {
    path: CALIBRATION_FILE,
    bytes: Buffer.byteLength(text),
    sha256: createHash("sha256").update(text).digest("hex"),
  };
  manifest.scope_calibration = CALIBRATION_FILE;
  manifest.files = [...manifest.files.filter((e) => e.path !== CALIBRATION_FILE), entry];
  fs.writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
  readModelPackManifest(packDir);
  console.log(`wrote ${path.relative(process.cwd(), file)} and listed it in manifest.json`);
}

runCli(main);
