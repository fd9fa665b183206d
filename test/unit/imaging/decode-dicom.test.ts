/**
 * Every DICOM file in ../shared/data/dicom decodes, with the right size, transfer syntax, photometric handling and
 * metadata; the transcoded copies of the CR chest give the same display image as the original.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeImageBuffer, decodeImageFile } from "../../../src-main/services/imaging/decode-image";
import type { DecodedImage } from "../../../src-shared/imaging/image-types";
import { thirtyTwoBitDicom } from "./derived-files";
import {
  DICOM_DIR,
  dicomFiles,
  diffStats,
  lungAndMediastinum,
  REFERENCE_CR,
  referenceCrStoredValues,
  tempDir,
} from "./imaging-fixtures";

interface Expected {
  readonly transferSyntaxUid: string;
  readonly width: number;
  readonly height: number;
  readonly bitsStored: number;
  readonly photometric: "MONOCHROME1" | "MONOCHROME2";
  /** How the transcoded CR chest copies must compare with the original: identical pixels, or close (lossy). */
  readonly vsReference?: "identical" | "lossy";
}

const CR = { width: 440, height: 440, bitsStored: 10, photometric: "MONOCHROME1" } as const;
const EXPECTED: Record<string, Expected> = {
  "CR-MONO1-10-chest_explicitLE.dcm": { ...CR, transferSyntaxUid: "1.2.840.10008.1.2.1" },
  "CR-MONO1-10-chest_implicitLE.dcm": { ...CR, transferSyntaxUid: "1.2.840.10008.1.2", vsReference: "identical" },
  "NIH_DX_chest_implicitLE.dcm": {
    transferSyntaxUid: "1.2.840.10008.1.2",
    width: 1024,
    height: 1024,
    bitsStored: 8,
    photometric: "MONOCHROME2",
  },
  "RG1_CR_chest_J2KI.dcm": {
    transferSyntaxUid: "1.2.840.10008.1.2.4.91",
    width: 1841,
    height: 1955,
    bitsStored: 15,
    photometric: "MONOCHROME1",
  },
  "SIIM_CR_chest_JPEGBaseline.dcm": {
    transferSyntaxUid: "1.2.840.10008.1.2.4.50",
    width: 1024,
    height: 1024,
    bitsStored: 8,
    photometric: "MONOCHROME2",
  },
  "derived_CRchest_J2K_lossless.dcm": { ...CR, transferSyntaxUid: "1.2.840.10008.1.2.4.90", vsReference: "identical" },
  "derived_CRchest_J2K_lossy.dcm": { ...CR, transferSyntaxUid: "1.2.840.10008.1.2.4.91", vsReference: "lossy" },
  "derived_CRchest_JPEGExtended12_lossy.dcm": {
    ...CR,
    bitsStored: 12,
    transferSyntaxUid: "1.2.840.10008.1.2.4.51",
    vsReference: "lossy",
  },
  "derived_CRchest_JPEGLS_lossless.dcm": {
    ...CR,
    transferSyntaxUid: "1.2.840.10008.1.2.4.80",
    vsReference: "identical",
  },
  "derived_CRchest_JPEGLS_nearlossless.dcm": {
    ...CR,
    transferSyntaxUid: "1.2.840.10008.1.2.4.81",
    vsReference: "lossy",
  },
  "derived_CRchest_JPEGLosslessSV1.dcm": {
    ...CR,
    transferSyntaxUid: "1.2.840.10008.1.2.4.70",
    vsReference: "identical",
  },
  "derived_CRchest_JPEGLossless_p14.dcm": {
    ...CR,
    transferSyntaxUid: "1.2.840.10008.1.2.4.57",
    vsReference: "identical",
  },
  "derived_CRchest_RLE.dcm": { ...CR, transferSyntaxUid: "1.2.840.10008.1.2.5", vsReference: "identical" },
  "derived_CRchest_deflatedLE.dcm": { ...CR, transferSyntaxUid: "1.2.840.10008.1.2.1.99", vsReference: "identical" },
  "derived_CRchest_explicitBE.dcm": { ...CR, transferSyntaxUid: "1.2.840.10008.1.2.2", vsReference: "identical" },
  "derived_NIHDX_JPEGBaseline.dcm": {
    transferSyntaxUid: "1.2.840.10008.1.2.4.50",
    width: 1024,
    height: 1024,
    bitsStored: 8,
    photometric: "MONOCHROME2",
  },
};

const files = dicomFiles();
const decoded = new Map<string, DecodedImage>();
const figures: string[] = [];

beforeAll(async () => {
  // Sequential, so the printed decode times are not inflated by each other.
  for (const file of files) decoded.set(path.basename(file), await decodeImageFile(file));
});

afterAll(() => {
  const rows = files.map((file) => {
    const image = decoded.get(path.basename(file));
    const t = image?.timings;
    return t
      ? `${path.basename(file).padEnd(42)} ${String(image.width).padStart(5)}x${String(image.height).padEnd(5)} total ${t.totalMs.toFixed(1).padStart(7)} ms (parse ${t.parseMs.toFixed(1)}, decode ${t.decodeMs.toFixed(1)}, render ${t.renderMs.toFixed(1)})`
      : `${path.basename(file)}: not decoded`;
  });
  console.info(`DICOM decode times (first decode in this process, includes codec warm-up):\n${rows.join("\n")}`);
  if (figures.length) console.info(`Display image vs ${path.basename(REFERENCE_CR)}:\n${figures.join("\n")}`);
});

test("the shared DICOM folder holds exactly the files this suite knows", () => {
  expect(files.map((f) => path.basename(f)).sort()).toEqual(Object.keys(EXPECTED).sort());
});

describe.each(files.map((f) => [path.basename(f)]))("%s", (name) => {
  const expected = EXPECTED[name] as Expected;

  test("decodes with the right size, transfer syntax and photometric interpretation", () => {
    const image = decoded.get(name) as DecodedImage;
    const m = image.metadata;
    expect(m.sourcePath).toBe(path.join(DICOM_DIR, name));
    expect(m.format).toBe("dicom");
    expect([image.width, image.height]).toEqual([expected.width, expected.height]);
    expect([m.width, m.height]).toEqual([expected.width, expected.height]);
    expect(m.transferSyntaxUid).toBe(expected.transferSyntaxUid);
    expect(m.transferSyntaxName).toMatch(/\w/);
    expect(m.bitsStored).toBe(expected.bitsStored);
    expect(m.photometric).toBe(expected.photometric);
    expect(m.inverted).toBe(expected.photometric === "MONOCHROME1");
    expect(image.displayPixels).toBeInstanceOf(Uint8Array);
    expect(image.modalityPixels).toBeInstanceOf(Float32Array);
    expect(image.displayPixels.length).toBe(expected.width * expected.height);
    expect(image.modalityPixels.length).toBe(expected.width * expected.height);
    // Buffers own their memory, so they can be transferred between threads.
    expect(image.displayPixels.buffer.byteLength).toBe(image.displayPixels.byteLength);
    expect(image.modalityPixels.buffer.byteLength).toBe(image.modalityPixels.byteLength);
    expect(image.modalityRange.max).toBeGreaterThan(image.modalityRange.min);
    expect(image.modalityRange.max).toBeLessThan(2 ** expected.bitsStored);
  });

  test("shows a chest with dark lungs and a bright mediastinum (MONOCHROME1 inverted)", () => {
    const image = decoded.get(name) as DecodedImage;
    const r = lungAndMediastinum(image.displayPixels, image.width, image.height);
    expect(r.rightLung).toBeLessThan(r.mediastinum - 30);
    expect(r.leftLung).toBeLessThan(r.mediastinum - 30);
    // The display range is used: not a blank or saturated image.
    let min = 255;
    let max = 0;
    for (const v of image.displayPixels) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(max - min).toBeGreaterThan(150);
  });

  test("applies the file's VOI: the first window, or identity for 8-bit data without one", () => {
    const image = decoded.get(name) as DecodedImage;
    const m = image.metadata;
    if (m.windows.length > 0) {
      expect(image.voi.source).toBe("window");
      expect(image.voi.window?.center).toBe(m.windows[0]?.center);
      expect(image.voi.window?.width).toBe(m.windows[0]?.width);
    } else {
      expect(m.bitsStored).toBe(8);
      expect(image.voi.source).toBe("identity");
      // Identity: the display values are the stored values.
      for (let i = 0; i < image.displayPixels.length; i += 997) {
        expect(image.displayPixels[i]).toBe(image.modalityPixels[i]);
      }
    }
  });
});

describe("transcoded copies of the CR chest", () => {
  const reference = () => decoded.get(path.basename(REFERENCE_CR)) as DecodedImage;

  test("the reference decodes to the stored values in the file (read independently with dicom-parser)", () => {
    const stored = referenceCrStoredValues();
    expect(diffStats(reference().modalityPixels, stored.values).max).toBe(0);
  });

  const derived = Object.entries(EXPECTED).filter(([, e]) => e.vsReference);
  test.each(derived.map(([name, e]) => [name, e.vsReference]))("%s: %s", (name, kind) => {
    const image = decoded.get(name) as DecodedImage;
    const display = diffStats(image.displayPixels, reference().displayPixels);
    figures.push(
      `${name.padEnd(42)} ${kind?.padEnd(9)} display max |diff| ${display.max}, mean ${display.mean.toFixed(3)}, ${display.differing} of ${image.displayPixels.length} pixels differ`,
    );
    if (kind === "identical") {
      expect(display.max).toBe(0);
      expect(diffStats(image.modalityPixels, reference().modalityPixels).max).toBe(0);
    } else {
      expect(display.mean).toBeLessThan(1);
      expect(display.max).toBeLessThanOrEqual(8);
    }
  });
});

describe("metadata", () => {
  test("the CR chest reports its view, body part, window and patient", () => {
    const m = (decoded.get("CR-MONO1-10-chest_explicitLE.dcm") as DecodedImage).metadata;
    expect(m.viewPosition).toBe("PA");
    expect(m.bodyPartExamined).toBe("CHEST");
    expect(m.modality).toBe("CR");
    expect(m.patientName).toBe("Anonymized");
    expect(m.windows[0]).toMatchObject({ center: 550, width: 1024, function: "LINEAR" });
    expect(m.rescale).toEqual({ slope: 1, intercept: 0, type: null });
    expect(m.studyInstanceUid).toMatch(/^[\d.]+$/);
    expect(m.seriesInstanceUid).toMatch(/^[\d.]+$/);
    expect(m.sopInstanceUid).toMatch(/^[\d.]+$/);
    expect(m.lossyCompressed).toBe(false);
  });

  test("the SIIM chest reports pixel spacing, study date, series description and patient id", () => {
    const m = (decoded.get("SIIM_CR_chest_JPEGBaseline.dcm") as DecodedImage).metadata;
    expect(m.pixelSpacing).toEqual({ row: 0.168, column: 0.168, source: "PixelSpacing" });
    expect(m.studyDate).toBe("19010101");
    expect(m.seriesDescription).toBe("view: PA");
    expect(m.patientId).toBe("16d7f894-55d7-4d95-8957-d18987f0e981");
    expect(m.lossyCompressed).toBe(true);
  });

  test("the RG1 chest reports patient orientation and no pixel spacing for its zero values", () => {
    const m = (decoded.get("RG1_CR_chest_J2KI.dcm") as DecodedImage).metadata;
    expect(m.patientOrientation).toEqual(["L", "F"]);
    expect(m.pixelSpacing).toBeNull();
    expect(m.patientName).toBe("CompressedSamples^RG1");
    expect(m.studyDate).toBe("20040826");
  });

  test("a raw data set without meta header is read as Implicit VR Little Endian", () => {
    const m = (decoded.get("CR-MONO1-10-chest_implicitLE.dcm") as DecodedImage).metadata;
    expect(m.transferSyntaxName).toBe("Implicit VR Little Endian");
  });
});

describe("pixel data at an unaligned offset", () => {
  test("32-bit pixel data starting 2 bytes past a multiple of 4 is copied and decodes to its values", async () => {
    const { bytes, values, offset } = thirtyTwoBitDicom(2);
    expect(offset % 4).toBe(2);
    const tmp = tempDir("odd-offset-");
    try {
      const file = path.join(tmp.dir, "thirty-two-bit-odd-offset.dcm");
      fs.writeFileSync(file, bytes);
      // From a file (a Buffer, whose own slice() is a view) and from a plain Uint8Array.
      for (const image of [await decodeImageFile(file), await decodeImageBuffer(Uint8Array.from(bytes), "copy.dcm")]) {
        expect(image.metadata.bitsAllocated).toBe(32);
        expect(image.modalityPixels.length).toBe(values.length);
        expect(diffStats(image.modalityPixels, Float32Array.from(values)).max).toBe(0);
      }
    } finally {
      tmp.cleanup();
    }
  });
});
