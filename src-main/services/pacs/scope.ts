/**
 * Whether a PACS study is a chest radiograph, from its QIDO-RS series attributes, before anything is retrieved:
 * it needs a CR or DX image series, and an image series whose Body Part Examined names another part (HIP, KNEE, ...)
 * makes it out of scope. A series without Body Part Examined is accepted here; the drafting engine's own checks
 * still run on the images. The tables are the scope gate's (src-shared/scope/chest-scope.ts), which decides again from
 * the retrieved files' headers and the model's score before any draft.
 */
import {
  CHEST_BODY_PARTS as CHEST_PARTS,
  IMAGE_LESS_MODALITIES as IMAGE_LESS,
  RADIOGRAPHY_MODALITIES as RADIOGRAPHY,
} from "../../../src-shared/scope/chest-scope";
import { type DicomJsonDataset, str, TAGS } from "./dicom-json";

export type ChestScope = { ok: true; note: string | null } | { ok: false; reason: string };

export function chestRadiographScope(series: readonly DicomJsonDataset[]): ChestScope {
  const images = series.filter((s) => !IMAGE_LESS.has((str(s, TAGS.Modality) ?? "").toUpperCase()));
  const modalities = [...new Set(images.map((s) => (str(s, TAGS.Modality) ?? "?").toUpperCase()))];
  const radiographs = images.filter((s) => RADIOGRAPHY.has((str(s, TAGS.Modality) ?? "").toUpperCase()));
  if (radiographs.length === 0)
    return {
      ok: false,
      reason: `it has no CR or DX image series (modalities: ${modalities.join(", ") || "none"})`,
    };
  const parts = [
    ...new Set(radiographs.map((s) => (str(s, TAGS.BodyPartExamined) ?? "").toUpperCase()).filter(Boolean)),
  ];
  const other = parts.filter((p) => !CHEST_PARTS.has(p));
  if (other.length > 0) {
    const description = radiographs.map((s) => str(s, TAGS.SeriesDescription)).find(Boolean);
    return {
      ok: false,
      reason: `Body Part Examined is ${other.join(", ")}${description ? ` ("${description}")` : ""}`,
    };
  }
  return { ok: true, note: parts.length === 0 ? "no Body Part Examined in the study's radiograph series" : null };
}
