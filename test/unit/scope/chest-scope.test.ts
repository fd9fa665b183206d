/**
 * The scope gate's decision table (src-shared/scope/chest-scope.ts): every rule on its own, the study's outcome
 * (worst image wins), the out-of-distribution threshold, overrides and the export note.
 */
import { describe, expect, it } from "vitest";
import {
  assessImageFacts,
  assessScope,
  type ImageScopeFacts,
  scopeExportNote,
} from "../../../src-shared/scope/chest-scope";

const chest: ImageScopeFacts = {
  file: "chest.dcm",
  format: "dicom",
  modality: "CR",
  bodyPartExamined: "CHEST",
  studyDescription: null,
  seriesDescription: null,
  protocolName: null,
  photometric: "MONOCHROME1",
  numberOfFrames: 1,
  width: 440,
  height: 440,
};
const facts = (over: Partial<ImageScopeFacts>): ImageScopeFacts => ({ ...chest, ...over });

describe("scope gate decision table", () => {
  const table: Array<[string, Partial<ImageScopeFacts>, "eligible" | "uncertain" | "not-eligible", RegExp]> = [
    ["CR chest", {}, "eligible", /^Chest radiograph \(CR, CHEST\)$/],
    ["DX thorax", { modality: "DX", bodyPartExamined: "THORAX" }, "eligible", /Chest radiograph/],
    [
      "DX, description says chest",
      { modality: "DX", bodyPartExamined: null, studyDescription: "CHEST PA" },
      "eligible",
      /Chest/,
    ],
    ["MR", { modality: "MR" }, "not-eligible", /^MR images: this model drafts chest radiographs only$/],
    ["CT", { modality: "CT" }, "not-eligible", /^CT images: this model drafts chest radiographs only$/],
    ["US", { modality: "US" }, "not-eligible", /^Ultrasound \(US\) images: this model/],
    ["NM", { modality: "NM" }, "not-eligible", /^Nuclear medicine \(NM\) images/],
    ["PT", { modality: "PT" }, "not-eligible", /PET \(PT\) images/],
    ["MG", { modality: "MG", bodyPartExamined: "BREAST" }, "not-eligible", /Mammography \(MG\) images/],
    ["XA", { modality: "XA" }, "not-eligible", /Angiography \(XA\)/],
    ["RF", { modality: "RF" }, "not-eligible", /Fluoroscopy \(RF\)/],
    ["CR hip", { bodyPartExamined: "HIP", studyDescription: "HIP JOINT" }, "not-eligible", /^CR of the hip$/],
    ["CR tibia (EXTREMITY)", { bodyPartExamined: "EXTREMITY" }, "not-eligible", /^CR of an extremity$/],
    ["DX knee", { modality: "DX", bodyPartExamined: "KNEE" }, "not-eligible", /^DX of the knee$/],
    ["CR hand", { bodyPartExamined: "HAND" }, "not-eligible", /^CR of the hand$/],
    ["CR skull", { bodyPartExamined: "SKULL" }, "not-eligible", /^CR of the skull$/],
    ["CR abdomen", { bodyPartExamined: "ABDOMEN" }, "not-eligible", /^CR of the abdomen$/],
    [
      "dental CR: no body part, description TEETH",
      { bodyPartExamined: null, studyDescription: "INTRAORAL TEETH" },
      "not-eligible",
      /^CR described as TEETH/,
    ],
    ["series description KNEE", { bodyPartExamined: null, seriesDescription: "L KNEE 2V" }, "not-eligible", /KNEE/],
    ["protocol name HAND", { bodyPartExamined: null, protocolName: "HAND PA" }, "not-eligible", /HAND/],
    [
      "chest body part but the description names the abdomen too",
      { studyDescription: "CHEST AND ABDOMEN" },
      "uncertain",
      /names ABDOMEN as well as the chest/,
    ],
    [
      "DX without body part or description",
      { modality: "DX", bodyPartExamined: null },
      "uncertain",
      /without Body Part/,
    ],
    ["no Modality", { modality: null }, "uncertain", /^No Modality in chest.dcm/],
    [
      "OT described as a knee",
      { modality: "OT", bodyPartExamined: null, studyDescription: "KNEE" },
      "not-eligible",
      /KNEE/,
    ],
    ["RGB radiograph", { photometric: "RGB" }, "uncertain", /Colour image \(RGB\)/],
    ["palette colour", { photometric: "PALETTE COLOR" }, "uncertain", /Colour image/],
    ["multi-frame CR", { numberOfFrames: 12 }, "uncertain", /12 frames/],
    ["tiny image", { width: 128, height: 128 }, "uncertain", /smaller than a diagnostic radiograph/],
    ["long strip", { width: 2000, height: 600 }, "uncertain", /aspect 3\.33/],
    [
      "PNG",
      { format: "png", modality: null, bodyPartExamined: null, photometric: null },
      "uncertain",
      /PNG image without DICOM metadata/,
    ],
    ["JPEG", { format: "jpeg", modality: null, bodyPartExamined: null, photometric: null }, "uncertain", /JPEG image/],
  ];
  for (const [name, over, outcome, headline] of table) {
    it(`${name} → ${outcome}`, () => {
      const a = assessScope([facts(over)]);
      expect(a.outcome).toBe(outcome);
      expect(a.headline).toMatch(headline);
      expect(a.draftAllowed).toBe(outcome !== "not-eligible");
      expect(a.signNeedsConfirmation).toBe(outcome === "uncertain");
    });
  }

  it("a study takes its worst image: a chest PA with a hip image is not eligible, every reason listed", () => {
    const a = assessScope([
      chest,
      facts({ file: "hip.dcm", bodyPartExamined: "HIP" }),
      facts({ modality: "DX", bodyPartExamined: null }),
    ]);
    expect(a.outcome).toBe("not-eligible");
    expect(a.headline).toBe("CR of the hip");
    expect(a.reasons).toEqual(["CR of the hip", "DX without Body Part Examined, and no description names the chest"]);
  });

  it("PNG size is checked when known, skipped when not", () => {
    const png = facts({
      format: "png",
      modality: null,
      bodyPartExamined: null,
      photometric: null,
      width: null,
      height: null,
    });
    expect(assessImageFacts(png).map((f) => f.reason)).toEqual([
      "PNG image without DICOM metadata (chest.dcm): modality and body part cannot be checked",
    ]);
  });

  it("unreadable headers make the study uncertain", () => {
    const a = assessScope([], { problems: ["x.dcm: the header cannot be read (truncated)"] });
    expect(a.outcome).toBe("uncertain");
    expect(a.headline).toBe("X.dcm: the header cannot be read (truncated)");
    expect(assessScope([]).headline).toBe("The study has no readable image");
  });

  it("the model's score below the calibrated threshold makes an eligible study uncertain", () => {
    expect(assessScope([chest], { ood: { score: 0.999, threshold: 0.99 } }).outcome).toBe("eligible");
    const low = assessScope([chest], { ood: { score: 0.9, threshold: 0.99 } });
    expect(low.outcome).toBe("uncertain");
    expect(low.headline).toBe(
      "The image is unlike the training data (similarity to the nearest training study 0.9000, below the calibrated 0.9900)",
    );
    expect(assessScope([chest], { ood: { score: 0.1, threshold: null } }).outcome).toBe("eligible");
  });

  it("an override lets the AI draft a not-eligible study, which stays not eligible on the record", () => {
    const override = { by: "Dr Test", at: "2026-12-03T10:00:00.000Z", reason: "chest included on the hip film" };
    const a = assessScope([facts({ modality: "MR" })], { override });
    expect(a).toMatchObject({ outcome: "not-eligible", override, draftAllowed: true, signNeedsConfirmation: true });
    expect(scopeExportNote(a, true)).toBe(
      "Scope override: the AI drafted although the study is not eligible (MR images: this model drafts chest radiographs only); overridden by Dr Test at 2026-12-03T10:00:00.000Z (chest included on the hip film).",
    );
    // An override of an eligible study means nothing.
    expect(assessScope([chest], { override }).override).toBeNull();
  });

  it("export notes: eligible says nothing, uncertain AI drafts and hand reports of not-eligible studies say so", () => {
    expect(scopeExportNote(assessScope([chest]), true)).toBeNull();
    expect(scopeExportNote(assessScope([facts({ modality: "DX", bodyPartExamined: null })]), true)).toMatch(
      /^Scope caution: .*signing was confirmed\.$/,
    );
    expect(scopeExportNote(assessScope([facts({ modality: "DX", bodyPartExamined: null })]), false)).toBeNull();
    expect(scopeExportNote(assessScope([facts({ modality: "CT" })]), false)).toBe(
      "Not eligible for an AI draft (CT images: this model drafts chest radiographs only); reported without AI.",
    );
  });
});
