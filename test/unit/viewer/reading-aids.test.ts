/**
 * The viewer's reading aids, in Node on real files: orientation markers for every rotation and flip (a table
 * written out by hand from PS3.3's Patient Orientation and cornerstone's transform order: flip, then rotate
 * clockwise), directions from Image Orientation (Patient); the pixel value (stored and modality value); the tag
 * browser's rows from the one DICOM reader with dcmjs's dictionary (sequences nested, private tags labelled with
 * their creator) and its search by tag and by name.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  filterRows,
  type TagDictionary,
  type TagRow,
  tagRows,
} from "../../../src-renderer/src/features/viewer/dicom-tags";
import {
  directionLetters,
  imageDirections,
  type OrientationMarkers,
  orientationMarkers,
} from "../../../src-renderer/src/features/viewer/orientation";
import { pixelAt } from "../../../src-renderer/src/features/viewer/pixel-value";
import { AttributeReader, parseDicom } from "../../../src-shared/imaging/dicom-reader";
import { PRIVATE_CREATOR, writeReadingAidFixture } from "../../support/reading-aid-fixtures";
import { DICOM_DIR } from "../imaging/imaging-fixtures";

const require = createRequire(import.meta.url);
const dcmjs = require("dcmjs") as {
  data: { DicomMetaDictionary: { dictionary: Record<string, { vr: string; name: string } | undefined> } };
};
const dictionary: TagDictionary = (tag) => dcmjs.data.DicomMetaDictionary.dictionary[tag];

const parse = (file: string) => parseDicom(new Uint8Array(fs.readFileSync(file)), file, { consumer: "viewer" });

/** [rotation, hflip, vflip] → markers (top, right, bottom, left) of a PA chest, Patient Orientation L\F. */
const PA_CHEST: [number, boolean, boolean, string][] = [
  [0, false, false, "H L F R"],
  [0, true, false, "H R F L"],
  [0, false, true, "F L H R"],
  [0, true, true, "F R H L"],
  [90, false, false, "R H L F"],
  [90, true, false, "L H R F"],
  [90, false, true, "R F L H"],
  [90, true, true, "L F R H"],
  [180, false, false, "F R H L"],
  [180, true, false, "F L H R"],
  [180, false, true, "H R F L"],
  [180, true, true, "H L F R"],
  [270, false, false, "L F R H"],
  [270, true, false, "R F L H"],
  [270, false, true, "L H R F"],
  [270, true, true, "R H L F"],
];

const asText = (m: OrientationMarkers | null) => (m ? `${m.top} ${m.right} ${m.bottom} ${m.left}` : null);

describe("orientation markers", () => {
  const rg1 = parse(path.join(DICOM_DIR, "RG1_CR_chest_J2KI.dcm"));
  const attrs = new AttributeReader(rg1.dataSet);
  const directions = imageDirections(attrs.numbers("x00200037"), attrs.values("x00200020"));

  it("reads Patient Orientation L\\F from the real RG1 chest", () => {
    expect(directions).toEqual({ row: "L", column: "F", source: "Patient Orientation" });
  });

  it.each(PA_CHEST)("rotation %i°, hflip %s, vflip %s → %s", (rotation, hflip, vflip, expected) => {
    expect(asText(orientationMarkers(directions!, { rotation, hflip, vflip }))).toBe(expected);
  });

  it("treats −90° as 270° and 450° as 90°", () => {
    const at = (rotation: number) => asText(orientationMarkers(directions!, { rotation, hflip: false, vflip: false }));
    expect(at(-90)).toBe(at(270));
    expect(at(450)).toBe(at(90));
  });

  it("each rotate or flip of the viewer moves the markers as the image moves", () => {
    // Four clockwise turns, or two flips, give back the start.
    const start = asText(orientationMarkers(directions!, { rotation: 0, hflip: false, vflip: false }));
    expect(asText(orientationMarkers(directions!, { rotation: 360, hflip: false, vflip: false }))).toBe(start);
    // hflip + vflip is a half turn.
    expect(asText(orientationMarkers(directions!, { rotation: 0, hflip: true, vflip: true }))).toBe(
      asText(orientationMarkers(directions!, { rotation: 180, hflip: false, vflip: false })),
    );
  });

  it("reads Image Orientation (Patient) first: axial, coronal, sagittal and oblique", () => {
    expect(imageDirections([1, 0, 0, 0, 1, 0], [])).toMatchObject({ row: "L", column: "P" });
    expect(imageDirections([1, 0, 0, 0, 0, -1], ["A", "F"])).toMatchObject({
      row: "L",
      column: "F",
      source: "Image Orientation (Patient)",
    });
    expect(imageDirections([0, 1, 0, 0, 0, -1], [])).toMatchObject({ row: "P", column: "F" });
    expect(directionLetters([0.8, 0.6, 0])).toBe("LP");
    expect(directionLetters([-0.6, 0, -0.8])).toBe("FR");
    expect(directionLetters([0.99, 0.1, 0])).toBe("L");
  });

  it("draws no markers without valid directions", () => {
    expect(imageDirections([], [])).toBeNull();
    expect(imageDirections([0, 0, 0, 0, 0, 0], ["X", "F"])).toBeNull();
    const siim = new AttributeReader(parse(path.join(DICOM_DIR, "SIIM_CR_chest_JPEGBaseline.dcm")).dataSet);
    // Present but empty (0020,0020) in the SIIM file.
    expect(imageDirections(siim.numbers("x00200037"), siim.values("x00200020"))).toBeNull();
  });

  it("combines letters of an oblique image and flips them all", () => {
    const oblique = imageDirections([], ["LH", "FA"])!;
    expect(asText(orientationMarkers(oblique, { rotation: 0, hflip: true, vflip: false }))).toBe("HP RF FA LH");
  });
});

describe("pixel value", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-aids-"));
  const fixture = parse(writeReadingAidFixture(dir)).dataSet;
  const columns = fixture.uint16("x00280011")!;
  const rows = fixture.uint16("x00280010")!;
  const pixel = fixture.elements.x7fe00010!;
  const stored = new Uint16Array(fixture.byteArray.slice(pixel.dataOffset, pixel.dataOffset + pixel.length).buffer);
  const image = {
    columns,
    rows,
    color: false,
    slope: 2,
    intercept: -1024,
    getPixelData: () => stored,
  };

  it("reads the stored value at a pixel and applies rescale slope / intercept", () => {
    const x = Math.floor(columns / 2);
    const y = Math.floor(rows / 3);
    const reading = pixelAt(image, x + 0.7, y + 0.2);
    expect(reading).toMatchObject({ x, y, stored: [stored[y * columns + x]], transform: "rescale" });
    expect(reading?.modality).toBe(stored[y * columns + x]! * 2 - 1024);
  });

  it("applies a Modality LUT where there is one, and gives null outside the image", () => {
    const lut = { firstValueMapped: 0, lut: Array.from({ length: 4096 }, (_, i) => i * 10) };
    expect(pixelAt({ ...image, modalityLUT: lut }, 3, 4)?.modality).toBe(stored[4 * columns + 3]! * 10);
    expect(pixelAt(image, -0.1, 3)).toBeNull();
    expect(pixelAt(image, columns, 0)).toBeNull();
  });

  it("reads R, G, B of a colour pixel", () => {
    const rgba = new Uint8Array([1, 2, 3, 255, 10, 20, 30, 255]);
    expect(pixelAt({ ...image, columns: 2, rows: 1, color: true, getPixelData: () => rgba }, 1.5, 0)).toMatchObject({
      stored: [10, 20, 30],
      modality: null,
    });
  });
});

describe("tag browser rows", () => {
  const find = (rows: readonly TagRow[], tag: string) => rows.find((r) => r.tag === tag);

  it("names the tags of the real RG1 chest from dcmjs's dictionary, with nested sequences", () => {
    const rows = tagRows(parse(path.join(DICOM_DIR, "RG1_CR_chest_J2KI.dcm")).dataSet, dictionary);
    expect(find(rows, "(0020,0020)")).toMatchObject({ name: "PatientOrientation", vr: "CS", value: "L\\F" });
    expect(find(rows, "(0002,0010)")?.value).toBe("1.2.840.10008.1.2.4.91");
    expect(find(rows, "(0028,0010)")).toMatchObject({ name: "Rows", vr: "US" });
    const source = find(rows, "(0008,2112)")!;
    expect(source).toMatchObject({ name: "SourceImageSequence", vr: "SQ", value: "1 item" });
    const purpose = find(source.items![0]!, "(0040,A170)")!;
    expect(purpose.name).toBe("PurposeOfReferenceCodeSequence");
    expect(purpose.items![0]!.length).toBeGreaterThan(0);
    // Item delimiters are framing, not rows.
    expect(source.items![0]!.some((r) => r.tag.startsWith("(FFFE"))).toBe(false);
    expect(find(rows, "(7FE0,0010)")?.value).toMatch(/^encapsulated pixel data, \d+ fragment/);
    expect(rows.some((r) => r.isPrivate)).toBe(false);
  });

  it("reads implicit VR files with VRs from the dictionary", () => {
    const rows = tagRows(parse(path.join(DICOM_DIR, "CR-MONO1-10-chest_implicitLE.dcm")).dataSet, dictionary);
    expect(find(rows, "(0028,0004)")).toMatchObject({ vr: "CS", value: "MONOCHROME1" });
    expect(find(rows, "(0028,0011)")).toMatchObject({ vr: "US", value: "440" });
  });

  it("labels private tags with their Private Creator", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-aids-"));
    const rows = tagRows(parse(writeReadingAidFixture(dir)).dataSet, dictionary);
    expect(find(rows, "(0009,0010)")).toMatchObject({
      isPrivate: true,
      name: "Private Creator",
      value: PRIVATE_CREATOR,
    });
    expect(find(rows, "(0009,1001)")).toMatchObject({
      isPrivate: true,
      privateCreator: PRIVATE_CREATOR,
      name: `Private tag of "${PRIVATE_CREATOR}"`,
      value: "private note",
    });
    expect(find(rows, "(0009,1002)")?.value).toBe("7");
    expect(find(rows, "(0028,1053)")).toMatchObject({ name: "RescaleSlope", value: "2" });
  });

  it("searches by tag in any spelling and by name, opening the sequences that hold a match", () => {
    const rows = tagRows(parse(path.join(DICOM_DIR, "RG1_CR_chest_J2KI.dcm")).dataSet, dictionary);
    for (const q of ["0020,0020", "(0020,0020)", "00200020", "patient orientation", "PatientOrient"]) {
      const found = filterRows(rows, q);
      expect(
        found.rows.map((r) => r.tag),
        q,
      ).toContain("(0020,0020)");
    }
    const nested = filterRows(rows, "CodeMeaning");
    expect(nested.rows.map((r) => r.tag)).toEqual(["(0008,2112)", "(0008,9215)"].filter((t) => find(rows, t)));
    expect(nested.open.has("x00082112")).toBe(true);
    expect(nested.matches).toBeGreaterThanOrEqual(2);
    expect(filterRows(rows, "no such tag name").rows).toEqual([]);
    expect(filterRows(rows, "").rows).toBe(rows);
  });
});
