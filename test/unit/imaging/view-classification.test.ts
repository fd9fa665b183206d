/** Frontal / lateral decisions from metadata, file names and order, with reasons and user overrides. */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { decodeImageFile } from "../../../src-main/services/imaging/decode-image";
import { classifyViews } from "../../../src-main/services/imaging/view-classification";
import { DICOM_DIR } from "./imaging-fixtures";

describe("from real DICOM metadata", () => {
  test("View Position PA makes the CR and SIIM chests frontal; the NIH DX file (no view attributes) falls back to order", async () => {
    const images = await Promise.all(
      ["CR-MONO1-10-chest_explicitLE.dcm", "NIH_DX_chest_implicitLE.dcm", "SIIM_CR_chest_JPEGBaseline.dcm"].map((f) =>
        decodeImageFile(path.join(DICOM_DIR, f)),
      ),
    );
    const result = classifyViews(images);
    expect(result.assignments.map((a) => [a.view, a.source])).toEqual([
      ["frontal", "view-position"],
      ["lateral", "order"],
      ["frontal", "view-position"],
    ]);
    expect(result.assignments[0]?.reason).toBe('View Position (0018,5101) is "PA"');
    expect(result.assignments[1]?.confident).toBe(false);
    expect(result.frontalIndex).toBe(0);
    expect(result.lateralIndex).toBe(1);
    expect(result.warnings).toContain("2 images are frontal; image 1 is used");
  });
});

describe("rules", () => {
  const at = (sourcePath: string, extra: Record<string, unknown> = {}) => ({ sourcePath, ...extra });

  test("View Position values", () => {
    const positions = ["PA", "AP", "AP SUPINE", "LL", "RL", "LAT", "LATERAL", "LLD", "OBL"];
    const result = classifyViews(positions.map((p, i) => at(`/x/${i}.dcm`, { viewPosition: p })));
    expect(result.assignments.slice(0, 8).map((a) => a.view)).toEqual([
      "frontal",
      "frontal",
      "frontal",
      "lateral",
      "lateral",
      "lateral",
      "lateral",
      "frontal", // decubitus is a frontal projection
    ]);
    // OBL says nothing; with both views present it stays unknown.
    expect(result.assignments[8]).toMatchObject({ view: "unknown", source: "order" });
  });

  test("View Code Sequence meaning and code value", () => {
    const result = classifyViews([
      at("/a.dcm", { viewCodes: [{ value: "R-10236", scheme: "SRT", meaning: "left lateral" }] }),
      at("/b.dcm", { viewCodes: [{ value: "R-10206", scheme: "SRT", meaning: null }] }),
    ]);
    expect(result.assignments.map((a) => [a.view, a.source])).toEqual([
      ["lateral", "view-code"],
      ["frontal", "view-code"],
    ]);
    expect(result.assignments[0]?.reason).toContain("left lateral");
  });

  test("descriptions: a word for one view decides, both views in one text is a warning and is skipped", () => {
    const result = classifyViews([
      at("/a.dcm", { seriesDescription: "CHEST LAT" }),
      at("/b.dcm", { seriesDescription: "Chest PA/LAT", imageComments: "view: PA" }),
      at("/c.dcm", { protocolName: "Thorax frontal" }),
    ]);
    expect(result.assignments.map((a) => [a.view, a.source])).toEqual([
      ["lateral", "description"],
      ["frontal", "description"],
      ["frontal", "description"],
    ]);
    expect(result.assignments[1]?.reason).toContain("Image Comments");
    expect(result.warnings.some((w) => w.includes("names both frontal and lateral"))).toBe(true);
  });

  test("Patient Orientation row direction", () => {
    const result = classifyViews([
      at("/a.dcm", { patientOrientation: ["L", "F"] }),
      at("/b.dcm", { patientOrientation: ["P", "F"] }),
    ]);
    expect(result.assignments.map((a) => [a.view, a.source])).toEqual([
      ["frontal", "patient-orientation"],
      ["lateral", "patient-orientation"],
    ]);
  });

  test("file names: IU-Xray 0/1, and frontal / lateral / pa / lat words", () => {
    const result = classifyViews([
      at("/study/CXR1_1_IM-0001/1.png"),
      at("/study/CXR1_1_IM-0001/0.png"),
      at("/x/chest_lateral.jpg"),
      at("/x/patient-PA.png"),
      at("/x/scan_lat_2.dcm"),
    ]);
    expect(result.assignments.map((a) => [a.view, a.source])).toEqual([
      ["lateral", "file-name"],
      ["frontal", "file-name"],
      ["lateral", "file-name"],
      ["frontal", "file-name"],
      ["lateral", "file-name"],
    ]);
    expect(result.frontalIndex).toBe(1);
    expect(result.lateralIndex).toBe(0);
    expect(result.assignments[0]?.reason).toContain("IU-Xray");
  });

  test("order: without any hint the first image is frontal and the second lateral", () => {
    const result = classifyViews([at("/x/a.png"), at("/x/b.png")]);
    expect(result.assignments.map((a) => [a.view, a.source, a.confident])).toEqual([
      ["frontal", "order", false],
      ["lateral", "order", false],
    ]);
  });

  test("order fills only the view still missing", () => {
    const result = classifyViews([at("/x/a.png"), at("/x/b.dcm", { viewPosition: "PA" })]);
    expect(result.assignments.map((a) => a.view)).toEqual(["lateral", "frontal"]);
    expect(result.frontalIndex).toBe(1);
    expect(result.lateralIndex).toBe(0);
  });

  test("a user override wins over metadata, and its reason says so", () => {
    const result = classifyViews([at("/a.dcm", { viewPosition: "PA" }), at("/b.dcm", { viewPosition: "LL" })], {
      overrides: ["lateral", "frontal"],
    });
    expect(result.assignments.map((a) => [a.view, a.source, a.reason])).toEqual([
      ["lateral", "override", "set to lateral by the user"],
      ["frontal", "override", "set to frontal by the user"],
    ]);
  });

  test("a single frontal image warns that the lateral view is missing only for multi-image studies", () => {
    expect(classifyViews([at("/a.dcm", { viewPosition: "PA" })]).warnings).toEqual([]);
    const two = classifyViews([at("/a.dcm", { viewPosition: "PA" }), at("/b.dcm", { viewPosition: "AP" })]);
    expect(two.warnings).toContain("the study has no lateral view");
    expect(two.lateralIndex).toBeNull();
  });
});
