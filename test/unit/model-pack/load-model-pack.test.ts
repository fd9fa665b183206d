import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
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

/** Loads a copy of the pack whose manifest `edit` changed: the refusal. */
function refusalWithManifest(edit: (m: ModelPackManifest) => void): Promise<ModelPackError> {
  const dir = copyPack();
  editManifest(dir, edit);
  return refusal(dir);
}

describe("loadModelPack on the demo pack", () => {
  it("verifies and opens the three sessions with the declared interfaces and the gallery", async () => {
    const pack = await loadModelPack(packDir);
    try {
      const m = pack.manifest;
      expect(pack.sessions.visionEncoder.inputNames).toEqual(["image"]);
      expect(pack.sessions.visionEncoder.outputNames).toEqual(["patch_tokens", "embedding"]);
      // The demo pack ships the prompted generator (issue 14.3): the diagnosis decisions in, the label bias through.
      expect(m.prompts?.findings.length).toBeGreaterThan(0);
      expect(pack.sessions.generatorEncoder.inputNames).toEqual(["patch_tokens", "retrieved_ids", "finding_decisions"]);
      expect(pack.sessions.generatorEncoder.outputNames).toEqual(["cross_keys", "cross_values", "label_bias"]);
      expect(pack.sessions.decoderStep.inputNames).toEqual([
        "input_ids",
        "beam_origin",
        "past_keys",
        "past_values",
        "cross_keys",
        "cross_values",
        "label_bias",
      ]);
      const diagnosisNames = m.diagnosis!.findings.map((f) => f.name);
      for (const name of m.prompts!.findings) expect(diagnosisNames).toContain(name);
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

  it("exposes the gallery thumbnails: one small grey JPEG of the frontal view per gallery study", async () => {
    const pack = await loadModelPack(packDir);
    try {
      const section = pack.manifest.gallery.thumbnails!;
      expect(section).toMatchObject({ format: "jpeg", max_side: 96, count: pack.gallery.count });
      expect(pack.manifest.files.map((f) => f.path)).toEqual(expect.arrayContaining([section.index, section.data]));
      expect(pack.gallery.thumbnails?.count).toBe(pack.gallery.count);
      let total = 0;
      for (let row = 0; row < pack.gallery.count; row++) {
        const jpeg = pack.gallery.thumbnail(row)!;
        expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
        total += jpeg.byteLength;
      }
      expect(total).toBe(section.bytes);
      for (const row of [0, pack.gallery.count - 1]) {
        const meta = await sharp(pack.gallery.thumbnail(row)!).metadata();
        expect(meta.format).toBe("jpeg");
        expect(meta.channels).toBe(1);
        expect(Math.max(meta.width!, meta.height!)).toBe(96);
      }
      expect(pack.gallery.thumbnail(pack.gallery.count)).toBeNull();
      expect(pack.gallery.thumbnail(-1)).toBeNull();
    } finally {
      await pack.close();
    }
  });

  it("still loads a pack without thumbnails (the section is optional)", async () => {
    const dir = copyPack();
    fs.rmSync(path.join(dir, "gallery", "thumbnails.bin"));
    fs.rmSync(path.join(dir, "gallery", "thumbnails.json"));
    editManifest(dir, (m) => {
      delete m.gallery.thumbnails;
      m.files = m.files.filter((f) => !f.path.startsWith("gallery/thumbnails."));
    });
    const pack = await loadModelPack(dir);
    try {
      expect(pack.gallery.thumbnails).toBeNull();
      expect(pack.gallery.thumbnail(0)).toBeNull();
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
    const error = await refusalWithManifest((m) => {
      const past = m.models.decoder_step.inputs.find((t) => t.name === "past_keys")!;
      past.shape[3] = "past_length";
    });
    expect(error.message).toMatch(
      /decoder_step: input past_keys has shape \[\d+, "past_batch", \d+, "past_len", \d+\], manifest declares \[\d+, "past_batch", \d+, "past_length", \d+\]/,
    );
  });

  it("a declared output name the session does not produce", async () => {
    const error = await refusalWithManifest((m) => {
      m.models.generator_encoder.outputs[0]!.name = "memory_keys";
    });
    expect(error.message).toContain(
      "generator_encoder: outputs are [cross_keys, cross_values, label_bias] but the manifest declares [memory_keys, cross_values, label_bias]",
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

  it("a scope calibration of another embedding model, or one that breaks its schema (hashes updated)", async () => {
    const other = copyPack();
    const file = path.join(other, "scope-calibration.json");
    const calibration = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(file, JSON.stringify({ ...calibration, model_id: `sha256:${"0".repeat(64)}` }));
    relist(other, "scope-calibration.json");
    expect((await refusal(other)).message).toContain(
      `scope-calibration.json was calibrated for sha256:${"0".repeat(64)}, the pack's embedding model is sha256:`,
    );
    const broken = copyPack();
    const file2 = path.join(broken, "scope-calibration.json");
    fs.writeFileSync(file2, JSON.stringify({ ...calibration, threshold: 2 }));
    relist(broken, "scope-calibration.json");
    expect((await refusal(broken)).message).toContain("scope-calibration.json: threshold:");
    // Changed without updating the manifest: the hash check names it.
    const edited = copyPack();
    fs.writeFileSync(path.join(edited, "scope-calibration.json"), JSON.stringify({ ...calibration, threshold: 0.5 }));
    expect((await refusal(edited)).message).toMatch(/scope-calibration\.json has \d+ bytes, manifest says/);
  });

  it("an embedding model id that is not the vision encoder's hash", async () => {
    const error = await refusalWithManifest((m) => {
      m.embedding.model_id = `sha256:${"0".repeat(64)}`;
    });
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

  interface ThumbnailsIndex {
    ids: string[];
    offsets: number[];
    lengths: number[];
  }
  function editThumbnailsIndex(dir: string, edit: (index: ThumbnailsIndex) => void): void {
    const file = path.join(dir, "gallery", "thumbnails.json");
    const index = JSON.parse(fs.readFileSync(file, "utf8")) as ThumbnailsIndex;
    edit(index);
    fs.writeFileSync(file, JSON.stringify(index));
    relist(dir, "gallery/thumbnails.json");
  }

  it("a changed thumbnail byte: sha256 mismatch naming gallery/thumbnails.bin", async () => {
    const dir = copyPack();
    const file = path.join(dir, "gallery", "thumbnails.bin");
    const data = fs.readFileSync(file);
    data[100] = data[100]! ^ 0xff;
    fs.writeFileSync(file, data);
    const error = await refusal(dir);
    expect(error.message).toMatch(/gallery\/thumbnails\.bin sha256 is [0-9a-f]{64}, manifest says [0-9a-f]{64}/);
  });

  it("a thumbnail that is not a JPEG (hashes updated): names the row and the study", async () => {
    const dir = copyPack();
    const file = path.join(dir, "gallery", "thumbnails.bin");
    const index = JSON.parse(fs.readFileSync(path.join(dir, "gallery", "thumbnails.json"), "utf8")) as ThumbnailsIndex;
    const data = fs.readFileSync(file);
    data[index.offsets[7]!] = 0x89; // a PNG signature byte where the JPEG SOI marker starts
    fs.writeFileSync(file, data);
    relist(dir, "gallery/thumbnails.bin");
    const error = await refusal(dir);
    expect(error.problems).toEqual([
      `gallery/thumbnails.json: thumbnail 7 (${index.ids[7]}) at offset ${index.offsets[7]}, length ${index.lengths[7]} does not start with the JPEG SOI marker (FF D8 FF)`,
    ]);
  });

  it("thumbnail offsets and lengths outside the data file or off the JPEG boundaries", async () => {
    const dir = copyPack();
    const size = fs.statSync(path.join(dir, "gallery", "thumbnails.bin")).size;
    let id = "";
    editThumbnailsIndex(dir, (index) => {
      id = index.ids.at(-1)!;
      index.offsets[index.offsets.length - 1] = size - 10;
    });
    const error = await refusal(dir);
    expect(error.message).toMatch(
      new RegExp(
        `thumbnail \\d+ \\(${id}\\) at offset ${size - 10}, length \\d+ ends past the end of gallery/thumbnails\\.bin \\(${size} bytes\\)`,
      ),
    );

    const shifted = copyPack();
    editThumbnailsIndex(shifted, (index) => {
      index.lengths[2] = index.lengths[2]! - 1;
    });
    expect((await refusal(shifted)).message).toMatch(
      /thumbnail 2 \(.+\) at offset \d+, length \d+ does not end with the JPEG EOI marker/,
    );

    const short = copyPack();
    editThumbnailsIndex(short, (index) => {
      index.offsets.pop();
    });
    expect((await refusal(short)).message).toMatch(
      /gallery\/thumbnails\.json has \d+ offsets, the gallery has \d+ studies/,
    );
  });

  it("thumbnail ids that are not the gallery ids, or a thumbnails file missing from the manifest", async () => {
    const dir = copyPack();
    let ids: string[] = [];
    editThumbnailsIndex(dir, (index) => {
      [index.ids[3], index.ids[4]] = [index.ids[4]!, index.ids[3]!];
      ids = index.ids;
    });
    const error = await refusal(dir);
    expect(error.problems).toEqual([
      `gallery/thumbnails.json ids differ from the gallery ids at row 3 ("${ids[3]}", gallery "${ids[4]}")`,
    ]);

    const refused = await refusalWithManifest((m) => {
      m.files = m.files.filter((f) => f.path !== "gallery/thumbnails.bin");
    });
    expect(refused.problems).toContain("gallery/thumbnails.bin is in the pack folder but not in manifest files");
    expect(refused.problems).toContain('gallery.thumbnails.data "gallery/thumbnails.bin" is not in manifest files');
  });

  it("prompts that do not fit the generator or the diagnosis branch", async () => {
    const unknown = copyPack();
    editManifest(unknown, (m) => {
      m.prompts!.findings[0] = "no-such-finding";
    });
    expect((await refusal(unknown)).problems).toContain(
      "prompt finding no-such-finding is not a finding of the diagnosis section",
    );
    const fewer = copyPack();
    editManifest(fewer, (m) => {
      m.prompts!.findings.pop();
    });
    const k = readModelPackManifest(packDir).prompts!.findings.length - 1;
    expect((await refusal(fewer)).problems).toContain(
      `generator_encoder must take finding_decisions int64 [batch, ${k}] (one per prompt finding)`,
    );
    const none = copyPack();
    editManifest(none, (m) => {
      delete m.prompts;
    });
    expect((await refusal(none)).problems).toContain(
      "generator_encoder/decoder_step declare finding prompts but the manifest has no prompts section",
    );
    const memory = copyPack();
    editManifest(memory, (m) => {
      m.prompts!.conditioning = "memory";
    });
    expect((await refusal(memory)).problems).toContain(
      'generator_encoder output label_bias is declared but prompts.conditioning is "memory"',
    );
  });

  it("a manifest that breaks the schema, or is not JSON", async () => {
    const error = await refusalWithManifest((m) => {
      (m as { format: string }).format = "radiology-draft/model-pack@0";
      (m.decoding as { beam_size: number }).beam_size = 0;
    });
    expect(error.message).toContain("manifest.json: format:");
    expect(error.message).toContain("manifest.json: decoding.beam_size:");
    const dir = copyPack();
    fs.writeFileSync(path.join(dir, "manifest.json"), "{ not json");
    expect(() => readModelPackManifest(dir)).toThrow(/manifest\.json is not valid JSON/);
  });

  it("a folder that is not a pack", async () => {
    const error = await refusal(scratch);
    expect(error.message).toBe(`model pack ${scratch} refused: manifest.json is missing`);
  });
});
