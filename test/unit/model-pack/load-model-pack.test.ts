import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadModelPack,
  ModelPackError,
  type ModelPackManifest,
  readModelPackManifest,
} from "../../../src-main/services/model-pack";
import { demoPackDir } from "./demo-pack";

// These tests run on the committed demo pack (models/<name>), copied to a temporary folder and then damaged.
const packDir = demoPackDir();
let scratch: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "model-pack-test-"));
});
afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

let copies = 0;
function copyPack(): string {
  const dir = path.join(scratch, `pack-${copies++}`);
  fs.cpSync(packDir, dir, { recursive: true });
  return dir;
}

function editManifest(dir: string, edit: (m: ModelPackManifest) => void): void {
  const file = path.join(dir, "manifest.json");
  const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as ModelPackManifest;
  edit(manifest);
  fs.writeFileSync(file, JSON.stringify(manifest));
}

/** Rewrite the manifest's size and hash of one file after changing it on purpose. */
function relist(dir: string, rel: string): void {
  const data = fs.readFileSync(path.join(dir, rel));
  const sha = createHash("sha256").update(data).digest("hex");
  editManifest(dir, (m) => {
    const entry = m.files.find((f) => f.path === rel)!;
    entry.sha256 = sha;
    entry.bytes = data.byteLength;
  });
}

async function refusal(dir: string): Promise<ModelPackError> {
  try {
    const pack = await loadModelPack(dir);
    await pack.close();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelPackError);
    return error as ModelPackError;
  }
  throw new Error(`pack ${dir} was accepted`);
}

describe("loadModelPack on the demo pack", () => {
  it("verifies and opens the three sessions with the declared interfaces and the gallery", async () => {
    const pack = await loadModelPack(packDir);
    try {
      const m = pack.manifest;
      expect(pack.sessions.visionEncoder.inputNames).toEqual(["image"]);
      expect(pack.sessions.visionEncoder.outputNames).toEqual(["patch_tokens", "embedding"]);
      expect(pack.sessions.generatorEncoder.inputNames).toEqual(["patch_tokens", "retrieved_ids"]);
      expect(pack.sessions.decoderStep.inputNames).toEqual([
        "input_ids",
        "beam_origin",
        "past_keys",
        "past_values",
        "cross_keys",
        "cross_values",
      ]);
      expect(pack.sessions.decoderStep.outputNames).toEqual(["log_probs", "present_keys", "present_values"]);
      const visionFile = fs.readFileSync(path.join(packDir, m.models.vision_encoder.file));
      expect(m.embedding.model_id).toBe(`sha256:${createHash("sha256").update(visionFile).digest("hex")}`);
      expect(pack.gallery.count).toBe(m.training.splits.train);
      expect(pack.gallery.ids.length).toBe(pack.gallery.count);
      expect(pack.gallery.embeddings.length).toBe(pack.gallery.count * m.embedding.dim);
      // gallery vectors are study embeddings: unit length
      for (const row of [0, pack.gallery.count - 1]) {
        const v = pack.gallery.embeddings.subarray(row * m.embedding.dim, (row + 1) * m.embedding.dim);
        expect(Math.hypot(...v)).toBeCloseTo(1, 4);
      }
      expect(m.tokenizer.idx2token.length).toBe(m.models.decoder_step.outputs[0]!.shape[1]);
    } finally {
      await pack.close();
    }
  });
});

describe("loadModelPack refuses a damaged pack and says what is wrong", () => {
  it("a changed ONNX byte: sha256 mismatch naming the file", async () => {
    const dir = copyPack();
    const file = path.join(dir, "decoder_step.onnx");
    const data = fs.readFileSync(file);
    data[data.length - 10] = data[data.length - 10]! ^ 0xff;
    fs.writeFileSync(file, data);
    const error = await refusal(dir);
    expect(error.message).toMatch(/decoder_step\.onnx sha256 is [0-9a-f]{64}, manifest says [0-9a-f]{64}/);
  });

  it("a missing file and an unlisted file", async () => {
    const dir = copyPack();
    fs.rmSync(path.join(dir, "gallery", "token_ids.json"));
    fs.writeFileSync(path.join(dir, "notes.txt"), "not part of the pack");
    const error = await refusal(dir);
    expect(error.problems).toContain("gallery/token_ids.json is listed in manifest files but missing");
    expect(error.problems).toContain("notes.txt is in the pack folder but not in manifest files");
  });

  it("a declared shape the ONNX session does not have", async () => {
    const dir = copyPack();
    editManifest(dir, (m) => {
      const past = m.models.decoder_step.inputs.find((t) => t.name === "past_keys")!;
      past.shape[3] = "past_length";
    });
    const error = await refusal(dir);
    expect(error.message).toMatch(
      /decoder_step: input past_keys has shape \[\d+, "past_batch", \d+, "past_len", \d+\], manifest declares \[\d+, "past_batch", \d+, "past_length", \d+\]/,
    );
  });

  it("a declared output name the session does not produce", async () => {
    const dir = copyPack();
    editManifest(dir, (m) => {
      m.models.generator_encoder.outputs[0]!.name = "memory_keys";
    });
    const error = await refusal(dir);
    expect(error.message).toContain(
      "generator_encoder: outputs are [cross_keys, cross_values] but the manifest declares [memory_keys, cross_values]",
    );
  });

  it("another model in place of the vision encoder (hashes updated): its interface is refused", async () => {
    const dir = copyPack();
    fs.copyFileSync(path.join(dir, "decoder_step.onnx"), path.join(dir, "vision_encoder.onnx"));
    relist(dir, "vision_encoder.onnx");
    const sha = createHash("sha256")
      .update(fs.readFileSync(path.join(dir, "vision_encoder.onnx")))
      .digest("hex");
    editManifest(dir, (m) => {
      m.embedding.model_id = `sha256:${sha}`;
      m.gallery.model_id = `sha256:${sha}`;
    });
    const error = await refusal(dir);
    expect(error.message).toContain("vision_encoder: inputs are [input_ids, beam_origin, past_keys");
  });

  it("an embedding model id that is not the vision encoder's hash", async () => {
    const dir = copyPack();
    editManifest(dir, (m) => {
      m.embedding.model_id = `sha256:${"0".repeat(64)}`;
    });
    const error = await refusal(dir);
    expect(error.message).toContain("embedding.model_id sha256:0000");
    expect(error.message).toContain("gallery.model_id");
  });

  it("a gallery whose size disagrees with count x dim", async () => {
    const dir = copyPack();
    const file = path.join(dir, "gallery", "embeddings.f32");
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 4096));
    relist(dir, "gallery/embeddings.f32");
    const error = await refusal(dir);
    expect(error.message).toMatch(/gallery\/embeddings\.f32 has 4096 bytes, expected count \d+ x dim 512 x 4/);
  });

  it("a manifest that breaks the schema, or is not JSON", async () => {
    const dir = copyPack();
    editManifest(dir, (m) => {
      (m as { format: string }).format = "radiology-draft/model-pack@0";
      (m.decoding as { beam_size: number }).beam_size = 0;
    });
    const error = await refusal(dir);
    expect(error.message).toContain("manifest.json: format:");
    expect(error.message).toContain("manifest.json: decoding.beam_size:");
    fs.writeFileSync(path.join(dir, "manifest.json"), "{ not json");
    expect(() => readModelPackManifest(dir)).toThrow(/manifest\.json is not valid JSON/);
  });

  it("a folder that is not a pack", async () => {
    const error = await refusal(scratch);
    expect(error.message).toBe(`model pack ${scratch} refused: manifest.json is missing`);
  });
});
