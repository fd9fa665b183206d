/**
 * The model pack manifest (radiology-draft/model-pack@1) written by `training/pack.py`: zod schema and types.
 * Pure: no Node imports. The semantic checks (hashes, ONNX interfaces, gallery) live in load-model-pack.ts.
 */
import { z } from "zod";

export const MODEL_PACK_FORMAT = "radiology-draft/model-pack@1";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");
/** A path inside a pack directory (model pack and impression pack). */
export const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.includes("\\") && !p.split("/").includes(".."), {
    message: "must be a relative path inside the pack (no '..', no leading '/')",
  });

/** One entry of a pack's `files` list: what checkPackFiles verifies. */
export const packFileSchema = z.object({
  path: relativePath,
  bytes: z.number().int().nonnegative(),
  sha256: sha256Hex,
});

/**
 * The R2Gen tokenizer fields both packs carry (kind and extra fields are each pack's own): the ids and the
 * vocabulary the decoders and `R2GenTokenizer` read.
 */
export const r2genTokenizerFields = {
  max_seq_length: z.number().int().positive(),
  bos_id: z.number().int().nonnegative(),
  eos_id: z.number().int().nonnegative(),
  pad_id: z.number().int().nonnegative(),
  unk_token: z.string(),
  idx2token: z.array(z.string()).min(2),
};

export const tensorDtypeSchema = z.enum(["float32", "float16", "int64", "int32"]);
export type TensorDtype = z.infer<typeof tensorDtypeSchema>;

/** A dimension: a fixed size, or the name of a symbolic (dynamic) axis. */
export const dimensionSchema = z.union([z.number().int().nonnegative(), z.string().min(1)]);
export type Dimension = z.infer<typeof dimensionSchema>;

export const tensorSpecSchema = z.object({
  name: z.string().min(1),
  dtype: tensorDtypeSchema,
  shape: z.array(dimensionSchema),
});
export type TensorSpec = z.infer<typeof tensorSpecSchema>;

export const onnxModelSpecSchema = z.object({
  file: relativePath,
  opset: z.number().int().min(14),
  inputs: z.array(tensorSpecSchema).min(1),
  outputs: z.array(tensorSpecSchema).min(1),
});
export type OnnxModelSpec = z.infer<typeof onnxModelSpecSchema>;

export const MODEL_KEYS = ["vision_encoder", "generator_encoder", "decoder_step"] as const;
export type ModelKey = (typeof MODEL_KEYS)[number];

export const metricsSchema = z.object({
  "BLEU-1": z.number(),
  "BLEU-2": z.number(),
  "BLEU-3": z.number(),
  "BLEU-4": z.number(),
  METEOR: z.number(),
  "ROUGE-L": z.number(),
  clinical_precision: z.number(),
  clinical_recall: z.number(),
  clinical_f1: z.number(),
});
export type PackMetrics = z.infer<typeof metricsSchema>;

export const preprocessingSchema = z.object({
  channels: z.literal(1),
  input_scale: z.object({ uint8: z.number().positive(), uint16: z.number().positive() }),
  rgb_to_grey: z.string(),
  pad_to_square: z.object({ position: z.literal("center"), offset: z.string(), fill: z.number() }),
  resize: z.object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    filter: z.literal("triangle"),
    antialias: z.literal(true),
    coefficients: z.string(),
    order: z.string(),
  }),
  normalize: z.object({ mean: z.number(), std: z.number().positive() }),
  dtype: z.literal("float32"),
  layout: z.literal("NCHW"),
});
export type PackPreprocessing = z.infer<typeof preprocessingSchema>;

/**
 * `gallery.thumbnails` (optional; packs without it stay valid): a small grey JPEG of each gallery study's frontal
 * view, concatenated in `data` in the gallery's row order; `index` is the JSON file below locating each one.
 */
export const galleryThumbnailsSectionSchema = z.object({
  index: relativePath,
  data: relativePath,
  format: z.literal("jpeg"),
  max_side: z.number().int().positive(),
  count: z.number().int().positive(),
  bytes: z.number().int().positive(),
});
export type GalleryThumbnailsSection = z.infer<typeof galleryThumbnailsSectionSchema>;

/** The thumbnails index file (`gallery.thumbnails.index`, gallery/thumbnails.json). */
export const galleryThumbnailsIndexSchema = z
  .object({
    format: z.literal("jpeg"),
    max_side: z.number().int().positive(),
    ids: z.array(z.string()),
    offsets: z.array(z.number().int().nonnegative()),
    lengths: z.array(z.number().int().positive()),
  })
  .passthrough();
export type GalleryThumbnailsIndex = z.infer<typeof galleryThumbnailsIndexSchema>;

/** One finding of the diagnosis branch (training/diagnosis.py): its name and the threshold chosen on val. */
export const diagnosisFindingSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z -]*$/, "must be a finding name"),
    threshold: z.number().gt(0).lt(1),
    val_auc: z.number().min(0).max(1).nullable(),
    test_auc: z.number().min(0).max(1).nullable(),
  })
  .passthrough();
export type DiagnosisFinding = z.infer<typeof diagnosisFindingSchema>;

/** A finding decides (can be "seen") only when val supports its threshold: enough val positives and a val AUC. */
export const DIAGNOSIS_MIN_VAL_POSITIVES = 5;
export const DIAGNOSIS_MIN_VAL_AUC = 0.8;
export function diagnosisFindingReliable(f: DiagnosisFinding): boolean {
  const positives = typeof f.val_positives === "number" ? f.val_positives : 0;
  return positives >= DIAGNOSIS_MIN_VAL_POSITIVES && (f.val_auc ?? 0) >= DIAGNOSIS_MIN_VAL_AUC;
}

/** `diagnosis`: the per-finding head's findings, in the order of `diagnosis.onnx`'s probabilities. */
export const diagnosisSectionSchema = z
  .object({
    format: z.literal("radiology-draft/diagnosis@1"),
    targets: z.string(),
    findings: z.array(diagnosisFindingSchema).min(1),
  })
  .passthrough();
export type DiagnosisSection = z.infer<typeof diagnosisSectionSchema>;

export const PROMPTS_FORMAT = "radiology-draft/finding-prompts@1";

/**
 * `prompts` (optional; training/prompted.py --ship): the generator is conditioned on the diagnosis branch's decisions.
 * `findings` are diagnosis findings in prompt order; generator_encoder.onnx then takes `finding_decisions` int64
 * [batch, K] (1 = probability >= the finding's threshold, else 0) and, with "both" conditioning, returns `label_bias`
 * [batch, d], which decoder_step.onnx takes as `label_bias`.
 */
export const promptsSectionSchema = z
  .object({
    format: z.literal(PROMPTS_FORMAT),
    findings: z.array(z.string().min(1)).min(1),
    conditioning: z.enum(["memory", "both"]),
    decision: z.string(),
  })
  .passthrough();
export type PromptsSection = z.infer<typeof promptsSectionSchema>;

export const modelPackManifestSchema = z.object({
  format: z.literal(MODEL_PACK_FORMAT),
  name: z.string().min(1),
  version: z.string().min(1),
  created: z.string().min(1),
  method: z.object({
    name: z.string().min(1),
    description: z.string(),
    /** How the generator was trained (cross-entropy, then self-critical epochs where the preset has them). */
    objective: z.string().optional(),
    vision_encoder: z.string().min(1),
    generator: z.record(z.string(), z.unknown()),
  }),
  training: z
    .object({
      dataset: z.string(),
      images: z.string(),
      dataset_manifest_sha256: sha256Hex,
      splits: z.object({ train: z.number().int(), val: z.number().int(), test: z.number().int() }),
      preset: z.string(),
      device: z.string(),
      seed: z.number().int(),
      config: z.record(z.string(), z.unknown()),
    })
    .passthrough(),
  preprocessing: preprocessingSchema,
  tokenizer: z.object({ kind: z.string(), ...r2genTokenizerFields }).passthrough(),
  decoding: z.object({
    algorithm: z.string(),
    beam_size: z.number().int().positive(),
    max_length: z.number().int().positive(),
    start_id: z.number().int().nonnegative(),
    end_id: z.number().int().nonnegative(),
    length_penalty: z.null(),
  }),
  embedding: z.object({
    dim: z.number().int().positive(),
    model_id: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" + 64 hex digits'),
    view_embedding: z.string(),
    study_embedding: z.string(),
    similarity: z.string(),
  }),
  retrieval: z.object({
    top_k: z.number().int().positive(),
    gallery_split: z.string(),
    generator_input: z.string(),
  }),
  models: z.object({
    vision_encoder: onnxModelSpecSchema,
    generator_encoder: onnxModelSpecSchema,
    decoder_step: onnxModelSpecSchema,
    /** Optional: per-finding probabilities from both views (a pack without it drafts without findings). */
    diagnosis: onnxModelSpecSchema.optional(),
  }),
  diagnosis: diagnosisSectionSchema.optional(),
  prompts: promptsSectionSchema.optional(),
  patch_tokens: z.object({
    per_view: z.number().int().positive(),
    dim: z.number().int().positive(),
    generator_input: z.string(),
  }),
  gallery: z.object({
    ids: relativePath,
    embeddings: relativePath,
    token_ids: relativePath,
    count: z.number().int().positive(),
    dim: z.number().int().positive(),
    dtype: z.literal("float32"),
    byte_order: z.literal("little"),
    model_id: z.string(),
    thumbnails: galleryThumbnailsSectionSchema.optional(),
  }),
  pytorch_checkpoint: relativePath.optional(),
  /** The scope gate's out-of-distribution threshold (src-shared/scope ScopeCalibrationSchema); optional. */
  scope_calibration: relativePath.optional(),
  files: z.array(packFileSchema).min(1),
  metrics: z.object({
    scored_by: z.string(),
    split_for_selection: z.literal("val"),
    val: metricsSchema,
    test: metricsSchema,
    table: z.record(z.string(), z.object({ val: metricsSchema, test: metricsSchema })),
    /** The table row of the shipped generator (absent: "full", the +MedCLIP+Retrieval row). */
    shipped: z.string().optional(),
  }),
});
export type ModelPackManifest = z.infer<typeof modelPackManifestSchema>;
