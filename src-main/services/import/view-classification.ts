/**
 * Frontal or lateral, decided in this order:
 * 1. DICOM metadata: View Position (0018,5101), then the View Code Sequence's meanings, then the series
 *    description / protocol name;
 * 2. the file name: IU-Xray's "0" (frontal) and "1" (lateral), or a word such as "frontal", "pa", "ap",
 *    "lateral", "lat";
 * 3. the order in the study (assignStudyOrder): the first image without a view becomes the frontal one when the
 *    study has none, the next the lateral one when it has none.
 * Each decision carries its reason, shown in the viewer; the user can override it (view_reason "user").
 *
 * The imaging service (src-main/services/imaging/) was to provide `classifyViews`; it had not landed when this was
 * written, so the import keeps this rule here.
 */
import path from "node:path";
import type { View } from "../../../src-shared/domain";
import type { DicomHeader } from "./probe-file";

export interface ViewDecision {
  view: View;
  reason: string | null;
}

const FRONTAL_POSITIONS = new Set(["PA", "AP", "PA/AP", "AP/PA", "POSTERO-ANTERIOR", "ANTERO-POSTERIOR"]);
const LATERAL_POSITIONS = new Set(["LL", "RL", "LAT", "LATERAL", "LEFT LATERAL", "RIGHT LATERAL", "XTABLE LATERAL"]);

const FRONTAL_WORDS = new Set(["frontal", "pa", "ap", "front"]);
const LATERAL_WORDS = new Set(["lateral", "lat", "ll", "rl", "side"]);

function fromWords(value: string): View {
  const words = value.toLowerCase().split(/[^a-z0-9]+/);
  const frontal = words.some((w) => FRONTAL_WORDS.has(w));
  const lateral = words.some((w) => LATERAL_WORDS.has(w));
  if (frontal === lateral) return "unknown";
  return frontal ? "frontal" : "lateral";
}

function fromMeaning(meaning: string): View {
  const m = meaning.toLowerCase();
  if (m.includes("lateral")) return "lateral";
  if (m.includes("postero-anterior") || m.includes("antero-posterior") || /\b(pa|ap)\b/.test(m)) return "frontal";
  return "unknown";
}

/** Metadata first, then the file name; "unknown" when neither tells. */
export function classifyView(filePath: string, dicom: DicomHeader | null): ViewDecision {
  if (dicom) {
    const position = dicom.viewPosition?.toUpperCase().replace(/_/g, "-").trim();
    if (position && FRONTAL_POSITIONS.has(position)) return { view: "frontal", reason: `ViewPosition ${position}` };
    if (position && LATERAL_POSITIONS.has(position)) return { view: "lateral", reason: `ViewPosition ${position}` };
    for (const meaning of dicom.viewCodeMeanings) {
      const view = fromMeaning(meaning);
      if (view !== "unknown") return { view, reason: `View Code "${meaning}"` };
    }
    for (const [label, value] of [
      ["series description", dicom.seriesDescription],
      ["protocol name", dicom.protocolName],
    ] as const) {
      if (!value) continue;
      const view = fromWords(value);
      if (view !== "unknown") return { view, reason: `${label} "${value}"` };
    }
  }
  const base = path.basename(filePath).replace(/\.(dcm|dicom|png|jpe?g)$/i, "");
  if (base === "0") return { view: "frontal", reason: `file name "${path.basename(filePath)}"` };
  if (base === "1") return { view: "lateral", reason: `file name "${path.basename(filePath)}"` };
  const view = fromWords(base);
  if (view !== "unknown") return { view, reason: `file name "${path.basename(filePath)}"` };
  return { view: "unknown", reason: null };
}

export interface OrderedImage {
  id: string;
  filePath: string;
  view: View;
}

/**
 * The order rule for one study: returns the images (by id) to set, given all images of the study (already stored
 * and new). Only images still "unknown" change; images are taken in file-path order.
 */
export function assignStudyOrder(images: readonly OrderedImage[]): Array<{ id: string; view: View; reason: string }> {
  const unknown = images
    .filter((i) => i.view === "unknown")
    .sort((a, b) => (a.filePath < b.filePath ? -1 : a.filePath > b.filePath ? 1 : 0));
  const out: Array<{ id: string; view: View; reason: string }> = [];
  let hasFrontal = images.some((i) => i.view === "frontal");
  let hasLateral = images.some((i) => i.view === "lateral");
  for (const image of unknown) {
    if (!hasFrontal) {
      out.push({ id: image.id, view: "frontal", reason: "order in study (first)" });
      hasFrontal = true;
    } else if (!hasLateral) {
      out.push({ id: image.id, view: "lateral", reason: "order in study (second)" });
      hasLateral = true;
    } else break;
  }
  return out;
}
