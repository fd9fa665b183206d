/**
 * Frontal vs lateral: decides the view of each image of a study, and says why, so the UI can show the reason and
 * the user can override it. Precedence, per image: user override > View Position (0018,5101) > View Code Sequence
 * (0054,0220) > series description / image comments / protocol name > Patient Orientation (0020,0020) row direction
 * > file name > order in the study. The order rule is optional: loose PNG/JPEG images (no DICOM study) take their
 * view from the file name or the user only, never from the order of the files (`useOrder: false`).
 */
import nodePath from "node:path";
import type { View } from "../../../src-shared/domain";
import type { ViewCode } from "../../../src-shared/imaging/image-types";

export type ViewDecisionSource =
  | "override"
  | "view-position"
  | "view-code"
  | "description"
  | "patient-orientation"
  | "file-name"
  | "order"
  /** No hint and no order rule (useOrder false): the view stays unknown until the user sets it. */
  | "none";

/** What the classifier looks at: ImageMetadata has all of it; everything but sourcePath may be missing. */
export interface ViewClassificationInput {
  readonly sourcePath: string;
  readonly viewPosition?: string | null | undefined;
  readonly viewCodes?: readonly ViewCode[] | undefined;
  readonly seriesDescription?: string | null | undefined;
  readonly imageComments?: string | null | undefined;
  readonly protocolName?: string | null | undefined;
  readonly patientOrientation?: readonly string[] | null | undefined;
}

export interface ViewAssignment {
  readonly index: number;
  readonly sourcePath: string;
  readonly view: View;
  readonly source: ViewDecisionSource;
  /** Why, for people: e.g. 'View Position (0018,5101) is "PA"'. */
  readonly reason: string;
  /** False when the view was only guessed from the order of the images. */
  readonly confident: boolean;
}

export interface ViewClassification {
  readonly assignments: readonly ViewAssignment[];
  /** The image to use as the frontal view (first confident frontal, else first frontal); null when none. */
  readonly frontalIndex: number | null;
  /** The image to use as the lateral view; null when none. */
  readonly lateralIndex: number | null;
  /** Things the user should look at: two frontals, no lateral, conflicting hints... */
  readonly warnings: readonly string[];
}

export interface ClassifyViewsOptions {
  /** Per image (by index), the view the user chose; null / undefined leaves the image to the classifier. */
  readonly overrides?: ReadonlyArray<"frontal" | "lateral" | null | undefined> | undefined;
  /** Give images without any hint the missing views in order (default true); false leaves them "unknown". */
  readonly useOrder?: boolean | undefined;
}

interface Decision {
  readonly view: "frontal" | "lateral";
  readonly source: ViewDecisionSource;
  readonly reason: string;
}

/** View Position values, normalised to upper case without extra spaces. */
function fromViewPosition(value: string): "frontal" | "lateral" | null {
  const v = value.toUpperCase().replace(/\s+/g, " ").trim();
  // Decubitus views (LLD, RLD, "LEFT LATERAL DECUBITUS") are frontal projections taken with the patient on one side.
  if (/^(LLD|RLD)$/.test(v) || /DECUBITUS/.test(v)) return "frontal";
  if (/^(LL|RL|LAT|LATERAL|LEFT LATERAL|RIGHT LATERAL|XTABLE LATERAL|CROSS-TABLE LATERAL)$/.test(v)) return "lateral";
  if (/\bLAT(ERAL)?\b/.test(v)) return "lateral";
  if (/^(PA|AP)\b/.test(v) || /^(FRONTAL|POSTERO-?ANTERIOR|ANTERO-?POSTERIOR)$/.test(v)) return "frontal";
  return null;
}

/** SNOMED-RT codes of DICOM CID 4010 (radiographic projections) for the chest views. */
const VIEW_CODE_VALUES: Record<string, "frontal" | "lateral"> = {
  "R-10206": "frontal", // postero-anterior
  "R-10214": "frontal", // antero-posterior
  "R-10232": "lateral", // right lateral
  "R-10236": "lateral", // left lateral
};

function fromViewCode(code: ViewCode): "frontal" | "lateral" | null {
  const meaning = (code.meaning ?? "").toLowerCase();
  if (meaning.includes("decubitus")) return "frontal";
  if (/\blateral\b/.test(meaning)) return "lateral";
  if (/postero-?anterior|antero-?posterior|\bfrontal\b/.test(meaning)) return "frontal";
  return code.value ? (VIEW_CODE_VALUES[code.value.toUpperCase()] ?? null) : null;
}

const LATERAL_WORDS = new Set(["LAT", "LATERAL", "LL", "RL", "LLAT", "RLAT"]);
const FRONTAL_WORDS = new Set(["PA", "AP", "FRONTAL", "FRONT"]);

/** Words of a free-text description: "CHEST PA/LAT" gives CHEST, PA, LAT. */
function words(text: string): string[] {
  return text
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
}

/** A view from free text, when its words point one way only. */
function fromText(text: string): "frontal" | "lateral" | "both" | null {
  const ws = words(text);
  if (ws.includes("DECUBITUS")) return null;
  const lateral = ws.some((w) => LATERAL_WORDS.has(w));
  const frontal = ws.some((w) => FRONTAL_WORDS.has(w));
  if (lateral && frontal) return "both";
  return lateral ? "lateral" : frontal ? "frontal" : null;
}

/** Row direction of Patient Orientation: L/R across the image means frontal, A/P means lateral. */
function fromOrientation(orientation: readonly string[]): "frontal" | "lateral" | null {
  const row = (orientation[0] ?? "").toUpperCase().trim();
  if (!row) return null;
  const first = row[0];
  if (first === "L" || first === "R") return "frontal";
  if (first === "A" || first === "P") return "lateral";
  return null;
}

function fromFileName(sourcePath: string): Decision | null {
  const base = nodePath.basename(sourcePath);
  const stem = base.replace(/\.[^.]*$/, "").toLowerCase();
  if (stem === "0") {
    return {
      view: "frontal",
      source: "file-name",
      reason: `file name "${base}": 0 is the frontal view (IU-Xray layout)`,
    };
  }
  if (stem === "1") {
    return {
      view: "lateral",
      source: "file-name",
      reason: `file name "${base}": 1 is the lateral view (IU-Xray layout)`,
    };
  }
  const tokens = stem.split(/[^a-z0-9]+/).filter(Boolean);
  const lateral = tokens.some((t) => ["lateral", "lat", "ll", "rl", "side"].includes(t));
  const frontal = tokens.some((t) => ["frontal", "front", "pa", "ap"].includes(t));
  if (lateral === frontal) return null;
  return {
    view: lateral ? "lateral" : "frontal",
    source: "file-name",
    reason: `file name "${base}" says ${lateral ? "lateral" : "frontal"}`,
  };
}

function decideFromMetadata(input: ViewClassificationInput, warnings: string[], index: number): Decision | null {
  if (input.viewPosition) {
    const view = fromViewPosition(input.viewPosition);
    if (view) return { view, source: "view-position", reason: `View Position (0018,5101) is "${input.viewPosition}"` };
  }
  for (const code of input.viewCodes ?? []) {
    const view = fromViewCode(code);
    if (view) {
      const label = code.meaning ?? code.value ?? "";
      return { view, source: "view-code", reason: `View Code Sequence (0054,0220) says "${label}"` };
    }
  }
  const texts: Array<[string, string | null | undefined]> = [
    ["Series Description (0008,103E)", input.seriesDescription],
    ["Image Comments (0020,4000)", input.imageComments],
    ["Protocol Name (0018,1030)", input.protocolName],
  ];
  for (const [label, text] of texts) {
    if (!text) continue;
    const view = fromText(text);
    if (view === "both") {
      warnings.push(`image ${index + 1}: ${label} "${text}" names both frontal and lateral views; not used`);
      continue;
    }
    if (view) return { view, source: "description", reason: `${label} "${text}" says ${view}` };
  }
  if (input.patientOrientation?.length) {
    const view = fromOrientation(input.patientOrientation);
    if (view) {
      return {
        view,
        source: "patient-orientation",
        reason: `Patient Orientation (0020,0020) "${input.patientOrientation.join("\\")}": rows run ${
          view === "frontal" ? "left-right" : "front-back"
        }`,
      };
    }
  }
  return fromFileName(input.sourcePath);
}

function inputOf(
  item: ViewClassificationInput | { readonly metadata: ViewClassificationInput },
): ViewClassificationInput {
  return "metadata" in item ? item.metadata : item;
}

/**
 * Assigns frontal / lateral to each image. Accepts ImageMetadata, DecodedImage (its metadata is used) or any object
 * with the fields of ViewClassificationInput.
 */
export function classifyViews(
  images: ReadonlyArray<ViewClassificationInput | { readonly metadata: ViewClassificationInput }>,
  options: ClassifyViewsOptions = {},
): ViewClassification {
  const warnings: string[] = [];
  const overrides = options.overrides ?? [];
  if (overrides.length > images.length) {
    warnings.push(`${overrides.length} overrides given for ${images.length} images; the extra ones are ignored`);
  }
  const decisions: Array<Decision | null> = images.map((item, index) => {
    const override = overrides[index];
    if (override === "frontal" || override === "lateral") {
      return { view: override, source: "override", reason: `set to ${override} by the user` };
    }
    return decideFromMetadata(inputOf(item), warnings, index);
  });

  // Images with no hint at all take the views still missing, in order: frontal first (IU-Xray order 0, 1).
  let haveFrontal = decisions.some((d) => d?.view === "frontal");
  let haveLateral = decisions.some((d) => d?.view === "lateral");
  const assignments: ViewAssignment[] = images.map((item, index) => {
    const sourcePath = inputOf(item).sourcePath;
    const decision = decisions[index];
    if (decision) return { index, sourcePath, ...decision, confident: true };
    const guessed = (view: View, source: ViewDecisionSource, reason: string): ViewAssignment => ({
      index,
      sourcePath,
      view,
      source,
      reason,
      confident: false,
    });
    if (options.useOrder === false) {
      return guessed(
        "unknown",
        "none",
        "no view information in the file or its name: choose frontal or lateral in the image strip",
      );
    }
    if (!haveFrontal) {
      haveFrontal = true;
      return guessed("frontal", "order", "no view information: the first such image is taken as frontal");
    }
    if (!haveLateral) {
      haveLateral = true;
      return guessed(
        "lateral",
        "order",
        "no view information: taken as the lateral view, as the study has a frontal one",
      );
    }
    return guessed("unknown", "order", "no view information, and the study already has a frontal and a lateral view");
  });

  const pick = (view: View): number | null =>
    assignments.find((a) => a.view === view && a.confident)?.index ??
    assignments.find((a) => a.view === view)?.index ??
    null;
  const frontalIndex = pick("frontal");
  const lateralIndex = pick("lateral");
  const frontals = assignments.filter((a) => a.view === "frontal").length;
  const laterals = assignments.filter((a) => a.view === "lateral").length;
  if (images.length > 0 && frontals === 0) warnings.push("the study has no frontal view");
  if (images.length > 1 && laterals === 0) warnings.push("the study has no lateral view");
  if (frontals > 1) warnings.push(`${frontals} images are frontal; image ${(frontalIndex ?? 0) + 1} is used`);
  if (laterals > 1) warnings.push(`${laterals} images are lateral; image ${(lateralIndex ?? 0) + 1} is used`);
  return { assignments, frontalIndex, lateralIndex, warnings };
}
