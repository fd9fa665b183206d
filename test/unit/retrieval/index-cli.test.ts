import { spawnSync } from "node:child_process";
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

/**
 * A model pack folder holding only what the index reads: the demo pack's manifest with this gallery section, and the
 * gallery's files (no ONNX files: the engine refuses the pack, the gallery reader does not need them).
 */
function writePack(modelId: string, count = 100): string {
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
  const demo = JSON.parse(fs.readFileSync(path.join(demoPackDir(), "manifest.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ ...demo, gallery }));
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

// Each run starts tsx and reads the IU annotation (seconds on a loaded 2-core machine): generous timeouts.
describe("npm run index", { timeout: 180_000 }, () => {
  it("seeds a pack's gallery once, refuses another model without --reset, and switches with it", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-data-"));
    const packA = writePack("sha256:pack-a");
    const packB = writePack("sha256:pack-b");
    let run = runIndex(["--pack", packA, "--data-dir", dataDir]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("seeded 100 gallery cases of model sha256:pack-a");
    run = runIndex(["--pack", packA, "--data-dir", dataDir]);
    expect(run.stdout).toContain("already in the index");

    run = runIndex(["--pack", packB, "--data-dir", dataDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'holds vectors of model "sha256:pack-a", the given vectors are from model "sha256:pack-b"',
    );
    expect(run.stderr).toContain("--reset");
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace for a user error

    run = runIndex(["--pack", packB, "--data-dir", dataDir, "--reset"]);
    expect(run.status, run.stderr).toBe(0);
    const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
    const service = new RetrievalService(db);
    expect(service.modelId).toBe("sha256:pack-b");
    expect(service.count).toBe(100);
    db.close();
  });

  it("indexes a dataset manifest's studies with thumbnails from their frontal images", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-data-"));
    const pack = writePack("sha256:pack-a", 10);
    const images = fs.readdirSync(path.join(sharedImages, "nih")).filter((f) => f.endsWith(".png"));
    expect(images.length).toBeGreaterThan(0);
    const studies = trainIds.slice(0, 3).map((id, i) => ({
      id,
      split: "train",
      report: `Report ${i}.`,
      labels: [1, 0, null, null, null, null, null, null, null, null, null, null, null, null],
      images: [`nih/${images[i % images.length]}`],
    }));
    // A val study has no embedding in the pack: it is skipped and counted.
    studies.push({ ...studies[0]!, id: "CXR-val-only", split: "val" });
    const manifestPath = path.join(dataDir, "manifest.json");
    fs.writeFileSync(
      manifestPath,
      JSON.stringify({ format: "radiology-draft/dataset-manifest@1", dataset: "test", root: sharedImages, studies }),
    );
    // By default a study the gallery lacks is embedded from its images by the inference engine, which refuses this
    // pack (it has a gallery but no model files): one clear line, no stack trace, exit code 1.
    const refused = runIndex(["--pack", pack, "--dataset", manifestPath, "--data-dir", dataDir]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`model pack ${pack} refused`);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const run = runIndex(["--pack", pack, "--dataset", manifestPath, "--data-dir", dataDir, "--gallery-only"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("indexed 3 studies");
    expect(run.stdout).toContain("skipped 1 studies without an embedding in the pack's gallery (--gallery-only)");
    const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
    const service = new RetrievalService(db);
    const stored = service.getCase(trainIds[1]!)!;
    expect(stored).toMatchObject({ source: "indexed", report: "Report 1." });
    expect(Array.from(stored.thumbnail!.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]);
    db.close();
  });

  it("names the input when it is wrong", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-data-"));
    let run = runIndex(["--pack", path.join(dataDir, "no-pack"), "--data-dir", dataDir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`model pack ${path.join(dataDir, "no-pack")} refused: not a folder`);
    const pack = writePack("sha256:pack-a", 5);
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
