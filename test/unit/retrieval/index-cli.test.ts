import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GaussianMixture } from "../../../src-main/bench/synthetic-vectors";
import { openCaseDatabase } from "../../../src-main/db/database";
import { loadAnnotationFile } from "../../../src-main/services/language/iu-xray-dataset";
import { RetrievalService } from "../../../src-main/services/retrieval/retrieval-service";
import { demoPackDir } from "../model-pack/demo-pack";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const sharedImages = path.resolve(repoRoot, "../shared/data/images");
const trainIds = loadAnnotationFile(path.join(repoRoot, "resources/iu_xray/annotation.json")).train.map((s) => s.id);

const demoManifest = JSON.parse(fs.readFileSync(path.join(demoPackDir(), "manifest.json"), "utf8"));
const demoModelId: string = demoManifest.gallery.model_id;
const demoCount: number = demoManifest.gallery.count;

/**
 * A copy of the demo pack whose vision encoder is another model as far as the index can tell: the same ONNX graph
 * with one more doc_string field appended (ModelProto field 6; protobuf keeps the last), so another sha256, hence
 * another model id; the manifest's ids and hashes and the scope calibration's model id follow.
 */
function otherModelPack(): { dir: string; modelId: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-other-pack-"));
  fs.cpSync(demoPackDir(), dir, { recursive: true });
  const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
  const encoder = path.join(dir, "vision_encoder.onnx");
  const note = Buffer.from("another model (index-cli test)");
  fs.appendFileSync(encoder, Buffer.concat([Buffer.from([0x32, note.length]), note]));
  const modelId = `sha256:${sha256(encoder)}`;
  const calibrationFile = path.join(dir, "scope-calibration.json");
  const calibration = JSON.parse(fs.readFileSync(calibrationFile, "utf8"));
  fs.writeFileSync(calibrationFile, JSON.stringify({ ...calibration, model_id: modelId }));
  const manifest = structuredClone(demoManifest);
  manifest.embedding.model_id = modelId;
  manifest.gallery.model_id = modelId;
  for (const entry of manifest.files as { path: string; bytes: number; sha256: string }[])
    if (entry.path === "vision_encoder.onnx" || entry.path === "scope-calibration.json") {
      const file = path.join(dir, entry.path);
      entry.bytes = fs.statSync(file).size;
      entry.sha256 = sha256(file);
    }
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
  return { dir, modelId };
}

/**
 * A model pack folder holding only a gallery: the demo pack's manifest with this gallery section, and the gallery's
 * files (no ONNX files: the engine, which reads the pack for the index too, refuses it).
 */
function writeGalleryOnlyPack(modelId: string, count = 100): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-pack-"));
  const ids = trainIds.slice(0, count);
  const vectors = GaussianMixture.create({ dim: 16, clusters: 8, groups: 2, seed: 3 }).sample(count, 4);
  fs.mkdirSync(path.join(dir, "gallery"));
  fs.writeFileSync(path.join(dir, "gallery", "ids.json"), JSON.stringify(ids));
  fs.writeFileSync(path.join(dir, "gallery", "embeddings.f32"), new Uint8Array(vectors.buffer));
  fs.writeFileSync(path.join(dir, "gallery", "token_ids.json"), JSON.stringify(ids.map(() => [1, 2])));
  const gallery = {
    ids: "gallery/ids.json",
    embeddings: "gallery/embeddings.f32",
    token_ids: "gallery/token_ids.json",
    count,
    dim: 16,
    dtype: "float32",
    byte_order: "little",
    model_id: modelId,
  };
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ ...demoManifest, gallery }));
  return dir;
}

function runIndex(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(repoRoot, "src-main/cli/index.ts"), ...args],
    {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, RADIOLOGY_DRAFT_DATA_DIR: "" },
    },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// Each run starts tsx, reads the IU annotation and starts the inference engine on the pack (the app's start-up,
// which reads the pack for the index): seconds on a loaded 2-core machine, so generous timeouts.
describe("npm run index", { timeout: 300_000 }, () => {
  it("seeds a pack's gallery once, refuses another model without --reset, and switches with it", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-data-"));
    const packA = demoPackDir();
    const packB = otherModelPack();
    let run = runIndex(["--pack", packA, "--data-dir", dataDir]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`seeded ${demoCount} gallery cases of model ${demoModelId}`);
    run = runIndex(["--pack", packA, "--data-dir", dataDir]);
    expect(run.stdout).toContain("already in the index");

    run = runIndex(["--pack", packB.dir, "--data-dir", dataDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `holds vectors of model "${demoModelId}", the given vectors are from model "${packB.modelId}"`,
    );
    expect(run.stderr).toContain("--reset");
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user error

    run = runIndex(["--pack", packB.dir, "--data-dir", dataDir, "--reset"]);
    expect(run.status, run.stderr).toBe(0);
    const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
    const service = new RetrievalService(db);
    expect(service.modelId).toBe(packB.modelId);
    expect(service.count).toBe(demoCount);
    db.close();
  });

  it("indexes a dataset manifest's studies with thumbnails from their frontal images", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-data-"));
    const pack = demoPackDir();
    const images = fs.readdirSync(path.join(sharedImages, "nih")).filter((f) => f.endsWith(".png"));
    expect(images.length).toBeGreaterThan(0);
    const studies = trainIds.slice(0, 3).map((id, i) => ({
      id,
      split: "train",
      report: `Report ${i}.`,
      labels: [1, 0, null, null, null, null, null, null, null, null, null, null, null, null],
      images: [`nih/${images[i % images.length]}`],
    }));
    // A val study has no embedding in the pack's gallery: --gallery-only skips and counts it, by default the engine
    // embeds it from its image.
    studies.push({ ...studies[0]!, id: "CXR-val-only", split: "val" });
    const manifestPath = path.join(dataDir, "manifest.json");
    fs.writeFileSync(
      manifestPath,
      JSON.stringify({ format: "radiology-draft/dataset-manifest@1", dataset: "test", root: sharedImages, studies }),
    );
    const run = runIndex(["--pack", pack, "--dataset", manifestPath, "--data-dir", dataDir, "--gallery-only"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("indexed 3 studies");
    expect(run.stdout).toContain("skipped 1 studies without an embedding in the pack's gallery (--gallery-only)");
    let db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
    let service = new RetrievalService(db);
    const stored = service.getCase(trainIds[1]!)!;
    expect(stored).toMatchObject({ source: "indexed", report: "Report 1." });
    expect(Array.from(stored.thumbnail!.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
    expect(service.hasCase("CXR-val-only")).toBe(false);
    db.close();

    // The default, in a new index: the same engine that read the gallery embeds the study it lacks.
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-data-"));
    const all = runIndex(["--pack", pack, "--dataset", manifestPath, "--data-dir", fresh]);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toContain("indexed 4 studies");
    expect(all.stdout).toContain("(1 embedded from their images, 3 from the pack's gallery) with thumbnails");
    db = openCaseDatabase(path.join(fresh, "cases.sqlite"));
    service = new RetrievalService(db);
    expect(service.getCase("CXR-val-only")).toMatchObject({ source: "indexed", report: "Report 0." });
    expect(service.modelId).toBe(demoModelId);
    db.close();
  });

  it("names the input when it is wrong", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-data-"));
    let run = runIndex(["--pack", path.join(dataDir, "no-pack"), "--data-dir", dataDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`model pack ${path.join(dataDir, "no-pack")} refused: not a folder`);
    // A pack with a gallery but no model files: the engine, which reads the pack for the index too, refuses it in one
    // clear line, no stack trace.
    const galleryOnly = writeGalleryOnlyPack("sha256:pack-a", 5);
    run = runIndex(["--pack", galleryOnly, "--data-dir", dataDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`model pack ${galleryOnly} refused`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    const pack = demoPackDir();
    const badManifest = path.join(dataDir, "bad.json");
    fs.writeFileSync(badManifest, JSON.stringify({ format: "something-else" }));
    run = runIndex(["--pack", pack, "--dataset", badManifest, "--data-dir", dataDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`${badManifest}: not a dataset manifest`);
    run = runIndex(["--pack", pack, "--split", "holdout", "--data-dir", dataDir]);
    expect(run.stderr).toContain('--split: unknown split "holdout"');
    run = runIndex(["--data-dir", dataDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("give --pack");
  });
});
