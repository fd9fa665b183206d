/**
 * The scope gate (issue 12 point 1): whether the chest-radiograph model may draft a study. One owner of the rules —
 * the reports service (workstation, harness), `npm run generate` and the PACS query filter all decide here.
 *
 * Two kinds of evidence:
 * - what the files say (`ImageScopeFacts`, read through the one DICOM reader): Modality, Body Part Examined,
 *   Study / Series Description and Protocol Name keywords, photometric interpretation, frames, size and aspect;
 * - what the pixels look like to the model: an out-of-distribution score (the study embedding's cosine similarity
 *   to its nearest gallery study), compared with a threshold calibrated on the synthetic val split
 *   (`ScopeCalibration`, stored with the model pack).
 *
 * Three outcomes: eligible; not eligible (no AI draft, no similar-case search; the study can be read and reported
 * by hand; the user may override); uncertain (the draft runs under a visible caution and signing asks for an
 * explicit confirmation). Pure: no Node, DOM or Electron imports.
 */
import { z } from "zod";
import type { ImageMetadata } from "../imaging/image-types";

export const ScopeOutcomeSchema = z.enum(["eligible", "uncertain", "not-eligible"]);
export type ScopeOutcome = z.infer<typeof ScopeOutcomeSchema>;

/** What one image file says about itself, as far as the scope is concerned. */
export interface ImageScopeFacts {
  /** The file's name (no folder), used in reasons. */
  readonly file: string;
  readonly format: "dicom" | "png" | "jpeg";
  readonly modality: string | null;
  readonly bodyPartExamined: string | null;
  readonly studyDescription: string | null;
  readonly seriesDescription: string | null;
  readonly protocolName: string | null;
  readonly photometric: string | null;
  readonly numberOfFrames: number;
  /** Null when not known (a PNG/JPEG whose size the caller did not read). */
  readonly width: number | null;
  readonly height: number | null;
}

/** The imaging metadata fields (the one DICOM reader's ImageMetadata) the facts are made from. */
export type ScopeMetadataSource = Pick<
  ImageMetadata,
  | "sourcePath"
  | "format"
  | "modality"
  | "bodyPartExamined"
  | "studyDescription"
  | "seriesDescription"
  | "protocolName"
  | "photometric"
  | "numberOfFrames"
  | "width"
  | "height"
>;

export function scopeFactsFromMetadata(m: ScopeMetadataSource): ImageScopeFacts {
  const clean = (s: string | null) => (s?.trim() ? s.trim() : null);
  return {
    file: m.sourcePath.split(/[\\/]/).pop() || m.sourcePath,
    format: m.format,
    modality: clean(m.modality)?.toUpperCase() ?? null,
    bodyPartExamined: clean(m.bodyPartExamined)?.toUpperCase() ?? null,
    studyDescription: clean(m.studyDescription),
    seriesDescription: clean(m.seriesDescription),
    protocolName: clean(m.protocolName),
    // PNG/JPEG photometric is the reader's own label (colour is reduced to luminance), not the file's statement.
    photometric: m.format === "dicom" ? (clean(m.photometric)?.toUpperCase() ?? null) : null,
    numberOfFrames: m.numberOfFrames,
    width: m.width,
    height: m.height,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The rules (one table each)

/** Radiography: the modalities the chest-radiograph model was made for. */
export const RADIOGRAPHY_MODALITIES: ReadonlySet<string> = new Set(["CR", "DX"]);
/** Series without images of their own (reports, presentation states, key objects, documents). */
export const IMAGE_LESS_MODALITIES: ReadonlySet<string> = new Set(["SR", "PR", "KO", "DOC"]);
/** Body Part Examined values (DICOM CID 4031 and common vendor spellings) that mean the chest. */
export const CHEST_BODY_PARTS: ReadonlySet<string> = new Set(["CHEST", "THORAX", "LUNG", "LUNGS", "RIB", "RIBS"]);

/** Modality names for the reasons ("MR images: ..."). */
const MODALITY_NAMES: Record<string, string> = {
  CT: "CT",
  MR: "MR",
  US: "Ultrasound (US)",
  NM: "Nuclear medicine (NM)",
  PT: "PET (PT)",
  MG: "Mammography (MG)",
  XA: "Angiography (XA)",
  RF: "Fluoroscopy (RF)",
  IO: "Intra-oral (IO)",
  PX: "Panoramic dental (PX)",
  OP: "Ophthalmic (OP)",
  ES: "Endoscopy (ES)",
  XC: "Photograph (XC)",
  SM: "Slide microscopy (SM)",
  BMD: "Bone densitometry (BMD)",
  OT: "Other (OT)",
};

/** Words of descriptions and protocol names that name another part or examination (whole words, upper case). */
const NON_CHEST_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:TEETH|TOOTH|DENTAL|DENTITION|BITEWING|PERIAPICAL|PANORAMIC|OPG|ORTHOPANTOMOGRAM)\b/, "teeth"],
  [/\b(?:SKULL|HEAD|BRAIN|FACIAL|FACE|SINUS|SINUSES|MANDIBLE|ORBITS?|NASAL)\b/, "skull"],
  [/\b(?:HIPS?|PELVIS|PELVIC|SACRUM|SACROILIAC|COCCYX)\b/, "hip"],
  [/\b(?:KNEES?|PATELLA|FEMUR|TIBIA|FIBULA|LEG|LEGS|ANKLES?|FOOT|FEET|TOES?|CALCANEUS|HEEL)\b/, "leg"],
  [/\b(?:HANDS?|WRISTS?|FINGERS?|THUMB|FOREARM|RADIUS|ULNA|ELBOWS?|HUMERUS|ARM|SHOULDERS?|SCAPULA)\b/, "arm"],
  [/\b(?:EXTREMITY|EXTREMITIES|LIMB)\b/, "extremity"],
  [/\b(?:ABDOMEN|ABDOMINAL|ABDO|KUB|BOWEL)\b/, "abdomen"],
  [/\b(?:SPINE|CERVICAL|LUMBAR|LUMBOSACRAL|C-SPINE|L-SPINE|T-SPINE|VERTEBRAE?)\b/, "spine"],
  [/\b(?:MAMMO|MAMMOGRAM|MAMMOGRAPHY|BREAST)\b/, "breast"],
  [/\b(?:MRI?|CT|ULTRASOUND|SONOGRAPHY|DOPPLER|ECHO|PET|SPECT|ANGIOGRAM|ANGIOGRAPHY|FLUOROSCOPY)\b/, "modality"],
];
const CHEST_WORDS = /\b(?:CHEST|THORAX|THORACIC|LUNGS?|CXR|PULMONARY|RIBS?)\b/;

/** Fewer pixels on the short side than this: not a diagnostic radiograph. */
export const MIN_SIDE_PIXELS = 256;
/** Long side over short side above this: unlike a chest radiograph (cassettes are about 1 to 1.25). */
export const MAX_ASPECT = 1.6;

const articles: Record<string, string> = { EXTREMITY: "an extremity", TEETH: "the teeth", RIB: "the ribs" };

function bodyPartWords(part: string): string {
  return articles[part] ?? `the ${part.toLowerCase().replace(/_/g, " ")}`;
}

/** One finding of the gate, with the outcome it leads to. */
export interface ScopeFinding {
  readonly outcome: ScopeOutcome;
  readonly reason: string;
}

function descriptionText(f: ImageScopeFacts): { text: string; fields: string[] } {
  const fields = [f.studyDescription, f.seriesDescription, f.protocolName].filter((s): s is string => !!s);
  return { text: fields.join(" | ").toUpperCase(), fields };
}

/** What one image's header says: each rule that fires, eligible findings only when the image is plainly a chest CR/DX. */
export function assessImageFacts(f: ImageScopeFacts): ScopeFinding[] {
  const out: ScopeFinding[] = [];
  const { text, fields } = descriptionText(f);
  const nonChest = NON_CHEST_WORDS.filter(([re]) => re.test(text)).map(([re]) => text.match(re)?.[0] ?? "");
  const chestWord = CHEST_WORDS.test(text);
  const quoted = fields.length ? ` ("${fields.join('", "')}")` : "";

  if (f.format !== "dicom") {
    out.push({
      outcome: "uncertain",
      reason: `${f.format.toUpperCase()} image without DICOM metadata (${f.file}): modality and body part cannot be checked`,
    });
  } else {
    const modality = f.modality;
    if (!modality || modality === "OT") {
      out.push({
        outcome: nonChest.length > 0 && !chestWord ? "not-eligible" : "uncertain",
        reason:
          nonChest.length > 0 && !chestWord
            ? `${modality ?? "no Modality"}, described as ${nonChest.join(", ")}${quoted}: this model drafts chest radiographs only`
            : `${modality ? "Modality OT (other)" : "no Modality"} in ${f.file}: not known to be a radiograph`,
      });
    } else if (!RADIOGRAPHY_MODALITIES.has(modality) && !IMAGE_LESS_MODALITIES.has(modality)) {
      out.push({
        outcome: "not-eligible",
        reason: `${MODALITY_NAMES[modality] ?? modality} images: this model drafts chest radiographs only`,
      });
    }
    const radiograph = modality !== null && RADIOGRAPHY_MODALITIES.has(modality);
    const part = f.bodyPartExamined;
    if (part && !CHEST_BODY_PARTS.has(part)) {
      out.push({ outcome: "not-eligible", reason: `${radiograph ? modality : "Image"} of ${bodyPartWords(part)}` });
    } else if (radiograph && nonChest.length > 0) {
      out.push(
        part || chestWord
          ? {
              outcome: "uncertain",
              reason: `the description names ${nonChest.join(", ")} as well as the chest${quoted}`,
            }
          : { outcome: "not-eligible", reason: `${modality} described as ${nonChest.join(", ")}${quoted}` },
      );
    } else if (radiograph && !part && !chestWord) {
      out.push({
        outcome: "uncertain",
        reason: `${modality} without Body Part Examined, and no description names the chest`,
      });
    }
    const photometric = f.photometric;
    if (radiograph && photometric && photometric !== "MONOCHROME1" && photometric !== "MONOCHROME2") {
      out.push({ outcome: "uncertain", reason: `colour image (${photometric}): radiographs are greyscale` });
    }
    if (radiograph && f.numberOfFrames > 1) {
      out.push({ outcome: "uncertain", reason: `${f.numberOfFrames} frames: a chest radiograph has one` });
    }
  }
  if (f.width === null || f.height === null) return out;
  const short = Math.min(f.width, f.height);
  const aspect = Math.max(f.width, f.height) / Math.max(1, short);
  if (short < MIN_SIDE_PIXELS) {
    out.push({
      outcome: "uncertain",
      reason: `${f.width} x ${f.height} pixels: smaller than a diagnostic radiograph (${MIN_SIDE_PIXELS} px short side)`,
    });
  } else if (aspect > MAX_ASPECT) {
    out.push({
      outcome: "uncertain",
      reason: `${f.width} x ${f.height} pixels (aspect ${aspect.toFixed(2)}): unlike a chest radiograph`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Out-of-distribution score and its calibration

export const SCOPE_CALIBRATION_FORMAT = "radiology-draft/scope-calibration@1";

const quantilesSchema = z.object({
  min: z.number(),
  p01: z.number(),
  p05: z.number(),
  median: z.number(),
  max: z.number(),
});

/** `scope-calibration.json` of a model pack (manifest `scope_calibration`), checked by the pack loader. */
export const ScopeCalibrationSchema = z
  .object({
    format: z.literal(SCOPE_CALIBRATION_FORMAT),
    /** What the score is (one sentence). */
    score: z.string().min(1),
    /** The embedding model the threshold belongs to (the pack's embedding.model_id). */
    model_id: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    split: z.literal("val"),
    images: z.string().min(1),
    studies: z.number().int().positive(),
    /** Fraction of val studies allowed below the threshold. */
    quantile: z.number().min(0).max(0.5),
    /** A study whose score is below this is "unlike the training data". */
    threshold: z.number().min(-1).max(1),
    val: quantilesSchema,
    /** Scores of known non-chest inputs measured when the threshold was set (for the record; not used). */
    measured: z.array(z.object({ input: z.string(), score: z.number(), belowThreshold: z.boolean() })).default([]),
    created: z.string().min(1),
  })
  .strict();
export type ScopeCalibration = z.infer<typeof ScopeCalibrationSchema>;

/** The model's out-of-distribution evidence for one drafting run. */
export const OodScoreSchema = z.object({
  /** Cosine similarity of the study embedding to its nearest gallery (train) study. */
  score: z.number().min(-1.0001).max(1.0001),
  /** The pack's calibrated threshold; null when the pack has no calibration. */
  threshold: z.number().nullable(),
});
export type OodScore = z.infer<typeof OodScoreSchema>;

export function oodFinding(ood: OodScore): ScopeFinding | null {
  if (ood.threshold === null || ood.score >= ood.threshold) return null;
  return {
    outcome: "uncertain",
    reason: `the image is unlike the training data (similarity to the nearest training study ${ood.score.toFixed(4)}, below the calibrated ${ood.threshold.toFixed(4)})`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The study's decision

export const ScopeOverrideSchema = z.object({
  by: z.string(),
  at: z.string(),
  reason: z.string(),
});
export type ScopeOverride = z.infer<typeof ScopeOverrideSchema>;

export const ScopeAssessmentSchema = z.object({
  outcome: ScopeOutcomeSchema,
  /** One line for the report pane, e.g. "MR images: this model drafts chest radiographs only". */
  headline: z.string(),
  /** Every reason (not-eligible ones first), each once. */
  reasons: z.array(z.string()),
  /** The model's score of the last drafting run (null before one ran). */
  ood: OodScoreSchema.nullable(),
  /** The user's override of "not eligible" (the AI may draft; the study stays not eligible on the record). */
  override: ScopeOverrideSchema.nullable(),
  /** Whether the AI may draft now: eligible, uncertain, or not eligible with an override. */
  draftAllowed: z.boolean(),
  /** Whether signing an AI-assisted report asks for an explicit confirmation. */
  signNeedsConfirmation: z.boolean(),
});
export type ScopeAssessment = z.infer<typeof ScopeAssessmentSchema>;

const RANK: Record<ScopeOutcome, number> = { eligible: 0, uncertain: 1, "not-eligible": 2 };

/** The decision for a study from its images' facts, the model's score (when a run has made one) and an override. */
export function assessScope(
  images: readonly ImageScopeFacts[],
  options: { ood?: OodScore | null; override?: ScopeOverride | null; problems?: readonly string[] } = {},
): ScopeAssessment {
  const findings: ScopeFinding[] = [];
  for (const problem of options.problems ?? []) findings.push({ outcome: "uncertain", reason: problem });
  if (images.length === 0 && !options.problems?.length)
    findings.push({ outcome: "uncertain", reason: "the study has no readable image" });
  for (const f of images) findings.push(...assessImageFacts(f));
  const ood = options.ood ?? null;
  const fromOod = ood ? oodFinding(ood) : null;
  if (fromOod) findings.push(fromOod);
  findings.sort((a, b) => RANK[b.outcome] - RANK[a.outcome]);
  const reasons = [...new Set(findings.map((f) => f.reason))];
  const outcome = findings[0]?.outcome ?? "eligible";
  const override = outcome === "not-eligible" ? (options.override ?? null) : null;
  const first = images[0];
  const headline =
    findings[0]?.reason ??
    (first
      ? `chest radiograph (${first.modality ?? first.format.toUpperCase()}, ${first.bodyPartExamined ?? "chest"})`
      : "");
  return {
    outcome,
    headline: capitalise(headline),
    reasons: reasons.map(capitalise),
    ood,
    override,
    draftAllowed: outcome !== "not-eligible" || override !== null,
    signNeedsConfirmation: outcome === "uncertain" || override !== null,
  };
}

/** The pane's and the exports' words for an outcome. */
export const SCOPE_OUTCOME_WORDS: Record<ScopeOutcome, string> = {
  eligible: "Eligible for an AI draft",
  uncertain: "Uncertain: the AI draft may not apply to this study",
  "not-eligible": "Not eligible for an AI draft",
};

/** The line printed in every export of a report drafted outside the gate's "eligible" (null when eligible). */
export function scopeExportNote(scope: ScopeAssessment | null, aiAssisted: boolean): string | null {
  if (!scope) return null;
  if (scope.override) {
    return `Scope override: the AI drafted although the study is not eligible (${scope.headline}); overridden by ${scope.override.by} at ${scope.override.at}${scope.override.reason ? ` (${scope.override.reason})` : ""}.`;
  }
  if (scope.outcome === "uncertain" && aiAssisted) {
    return `Scope caution: the AI draft was made for a study the scope check was uncertain about (${scope.headline}); signing was confirmed.`;
  }
  if (scope.outcome === "not-eligible") return `Not eligible for an AI draft (${scope.headline}); reported without AI.`;
  return null;
}

function capitalise(s: string): string {
  return s ? s[0]?.toUpperCase() + s.slice(1) : s;
}
