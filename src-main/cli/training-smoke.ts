/**
 * CI smoke test of the training recipe (<= 5 min): a few training steps on a tiny dataset, ONNX export, model pack,
 * the ONNX parity test (onnxruntime-node vs PyTorch) on that pack, then the prompted generator (training/prompted.py
 * --ship, 2 steps) shipped into it and the parity test again.
 *
 *   npm run test:training-smoke [-- --work DIR] [-- --keep]
 *
 * The tiny dataset is test/fixtures/synth/ when it holds an R2Gen layout (images/<id>/0.png, 1.png); otherwise
 * the first studies of each split are rendered now with the synthetic radiograph generator (`npm run synth`). Its
 * manifest is written by the language toolkit and reduced to the studies that have images.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  createManifest,
  loadAnnotationFile,
  loadIuXrayDataset,
  writeManifest,
} from "../services/language/iu-xray-dataset";
import { runCli, UserError } from "./language-cli-support";
import { TRAINING_PYTHON } from "./training-python";

const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const FIXTURE_SYNTH = path.join(REPO_ROOT, "test", "fixtures", "synth");
const PER_SPLIT = { train: 8, val: 4, test: 4 } as const;

function hasImages(root: string): boolean {
  const images = path.join(root, "images");
  return fs.existsSync(images) && fs.readdirSync(images).some((id) => fs.existsSync(path.join(images, id, "1.png")));
}

/** Render the first studies of each split with the synthetic radiograph generator (`npm run synth`). */
function renderTinyDataset(root: string): void {
  const annotation = loadAnnotationFile();
  const ids = (["train", "val", "test"] as const).flatMap((split) =>
    annotation[split].slice(0, PER_SPLIT[split]).map((s) => s.id),
  );
  run("render", "npm", ["run", "--silent", "synth", "--", "--out", root, "--ids", ids.join(",")]);
}

/** The toolkit's manifest for `root`, keeping only the studies whose two images exist. */
function writeTinyManifest(root: string, out: string): Record<"train" | "val" | "test", number> {
  const manifest = createManifest(loadIuXrayDataset({ root }));
  manifest.studies = manifest.studies.filter((s) => s.images.every((p) => fs.existsSync(path.join(root, p))));
  delete manifest.missing_images;
  writeManifest(manifest, out);
  const counts = { train: 0, val: 0, test: 0 };
  for (const s of manifest.studies) counts[s.split]++;
  return counts;
}

function run(label: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const started = performance.now();
  console.log(`\n== ${label}: ${command} ${args.join(" ")}`);
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: "inherit", env: { ...process.env, ...env } });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new UserError(`${label} failed (exit ${result.status}) after ${seconds.toFixed(0)} s`);
  console.log(`== ${label} done in ${seconds.toFixed(1)} s`);
  return seconds;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { work: { type: "string" }, keep: { type: "boolean", default: false } } });
  if (!fs.existsSync(TRAINING_PYTHON))
    throw new UserError(`${TRAINING_PYTHON} not found: the training smoke test needs Python with torch`);
  const started = performance.now();
  const work = values.work ? path.resolve(values.work) : fs.mkdtempSync(path.join(os.tmpdir(), "training-smoke-"));
  fs.mkdirSync(work, { recursive: true });
  try {
    const manifestPath = path.join(work, "manifest.json");
    let root = FIXTURE_SYNTH;
    let counts = hasImages(root) ? writeTinyManifest(root, manifestPath) : { train: 0, val: 0, test: 0 };
    if (counts.train < 2 || counts.val < 1 || counts.test < 1) {
      console.log(
        `${FIXTURE_SYNTH} has ${counts.train}/${counts.val}/${counts.test} train/val/test studies with images: ` +
          `rendering ${Object.values(PER_SPLIT).join("/")} studies`,
      );
      root = path.join(work, "dataset");
      renderTinyDataset(root);
      counts = writeTinyManifest(root, manifestPath);
    }
    console.log(
      `dataset ${root}: ${counts.train}/${counts.val}/${counts.test} train/val/test studies, ${manifestPath}`,
    );
    const pack = path.join(work, "pack");
    /** `python3 -m training.<module>` on the tiny manifest, with its own work folder <work>/<module>. */
    const trainingStep = (label: string, module: string, args: string[]) =>
      run(label, TRAINING_PYTHON, [
        "-m",
        `training.${module}`,
        "--manifest",
        manifestPath,
        ...args,
        "--work",
        path.join(work, module),
      ]);
    /** The ONNX parity test(s) at `target` on the pack, over the tiny manifest's test studies. */
    const parity = (label: string, target: string) =>
      run(label, "npx", ["vitest", "run", target], {
        MODEL_PACK_DIR: pack,
        PARITY_DATASET_MANIFEST: manifestPath,
        PARITY_MIN_STUDIES: String(counts.test),
      });
    trainingStep("train (smoke preset)", "train", ["--preset", "smoke", "--variants", "full", "--out", pack]);
    trainingStep("diagnosis branch (1 epoch)", "diagnosis", ["--pack", pack, "--epochs", "1", "--min-positives", "1"]);
    parity("ONNX parity", "test/integration/onnx-parity");
    // Diagnosis-driven generation (issue 14.3): the prompted generator shipped into the pack, and parity again.
    trainingStep("prompted generator (1 epoch, 2 steps) shipped", "prompted", [
      "--pack",
      pack,
      "--epochs",
      "1",
      "--max-steps-per-epoch",
      "2",
      "--conditioning",
      "both",
      "--findings",
      "all",
      "--ship",
    ]);
    parity("ONNX parity (prompted generator)", "test/integration/onnx-parity/onnx-parity.test.ts");
    console.log(`\ntraining smoke test passed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    if (!values.keep && !values.work) fs.rmSync(work, { recursive: true, force: true });
  }
}

runCli(main);
