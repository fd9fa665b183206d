/**
 * Which of a study's images the model reads as its frontal and its lateral view. The views come from the caller
 * (the user's choice or the import's decision), the DICOM metadata or the file name (classifyViews) — never from the
 * order of the files alone, except for the images of one DICOM study, where the import uses the same last-resort
 * order rule (docs/imaging.md, rule 7), so the draft reads the views the viewer shows.
 * - An image whose view stays unknown is not read when another image has a known view (a warning names it).
 * - A study of a single image of unknown view is drafted from that image in both slots, as a one-view study is
 *   (the scope gate already marks PNG/JPEG without metadata "uncertain"); the warning says the view is unknown.
 * - Several images and none of known view: refused (VIEWS_UNKNOWN), naming the files: the user sets the views.
 */
import path from "node:path";
import { classifyViews, type DecodedImage, type ViewAssignment } from "../imaging";
import { InferenceError } from "./errors";

export interface DraftViews {
  readonly frontalIndex: number;
  readonly lateralIndex: number;
  /** The frontal image is used for both slots (one image read). */
  readonly duplicated: boolean;
  readonly assignments: readonly ViewAssignment[];
  readonly warnings: readonly string[];
}

export function chooseDraftViews(
  decoded: readonly DecodedImage[],
  callerViews: ReadonlyArray<"frontal" | "lateral" | "unknown" | null | undefined>,
): DraftViews {
  const overrides = callerViews.map((view) => (view === "frontal" || view === "lateral" ? view : null));
  const useOrder = decoded.every((d) => d.metadata.format === "dicom" && Boolean(d.metadata.studyInstanceUid));
  const views = classifyViews(decoded, { overrides, useOrder });
  const warnings = [...views.warnings];
  const unknown = views.assignments.filter((a) => a.view === "unknown");
  let frontalIndex = views.frontalIndex;
  let lateralIndex = views.lateralIndex;
  const name = (a: ViewAssignment) => `"${path.basename(a.sourcePath)}"`;
  if (frontalIndex === null && lateralIndex === null) {
    if (decoded.length > 1) {
      throw new InferenceError(
        "VIEWS_UNKNOWN",
        `none of the study's ${decoded.length} images has a known view (${unknown.map(name).join(", ")}): ` +
          "frontal and lateral are not guessed from the order of the files; set each image's view in the image " +
          "strip (or name the files frontal / lateral, or give --views)",
      );
    }
    const only = views.assignments[0]!;
    warnings.push(
      `the view of ${name(only)} is unknown (no metadata, file name or user choice): the draft reads this single image for both views`,
    );
    return { frontalIndex: 0, lateralIndex: 0, duplicated: true, assignments: views.assignments, warnings };
  }
  for (const a of unknown) {
    warnings.push(`image ${name(a)}: view unknown, not used for the draft (set its view in the image strip)`);
  }
  if (frontalIndex === null) {
    warnings.push("no frontal view: the lateral view is used for both");
    frontalIndex = lateralIndex as number;
  }
  const duplicated = lateralIndex === null || lateralIndex === frontalIndex;
  if (lateralIndex === null) {
    warnings.push("no lateral view: the frontal view is used for both (as the model pack specifies)");
    lateralIndex = frontalIndex;
  }
  return { frontalIndex, lateralIndex, duplicated, assignments: views.assignments, warnings };
}
