/**
 * The grayscale pipeline (modality LUT, padding, VOI, MONOCHROME1) on DICOM files built from the real CR chest's
 * pixel values with known transformations, plus the window functions against PS3.3 C.11.2.1.2.
 */
import type * as DcmjsCodecs from "dcmjs-codecs";
import { describe, expect, test } from "vitest";
import { decodeImageBuffer } from "../../../src-main/services/imaging/decode-image";
import { applyWindow, renderGrayscale } from "../../../src-main/services/imaging/grayscale-pipeline";
import { ensureCodecs } from "../../../src-main/services/imaging/native-codecs";
import type { WindowSetting } from "../../../src-shared/imaging/image-types";
import { buildDicom, colourDataset, crChestDataset, diffStats, referenceCrStoredValues } from "./imaging-fixtures";

const reference = referenceCrStoredValues();

function linear(center: number, width: number): WindowSetting {
  return { center, width, function: "LINEAR", explanation: null };
}

describe("window functions", () => {
  test("LINEAR follows PS3.3 C.11.2.1.2.1", () => {
    // Center 2048, width 4096: x <= 0 -> 0, x > 4095 -> 255, linear in between.
    const w = linear(2048, 4096);
    expect(applyWindow(0, w)).toBe(0);
    expect(applyWindow(-5, w)).toBe(0);
    expect(applyWindow(4096, w)).toBe(255);
    expect(applyWindow(2047.5, w)).toBeCloseTo(127.5, 10);
    expect(applyWindow(1024, w)).toBeCloseTo(((1024 - 2047.5) / 4095 + 0.5) * 255, 10);
    // Width 1 is a threshold at the center.
    const threshold = linear(100, 1);
    expect(applyWindow(99.5, threshold)).toBe(0);
    expect(applyWindow(99.6, threshold)).toBe(255);
  });

  test("LINEAR_EXACT and SIGMOID follow PS3.3 C.11.2.1.3", () => {
    const exact: WindowSetting = { center: 100, width: 50, function: "LINEAR_EXACT", explanation: null };
    expect(applyWindow(75, exact)).toBe(0);
    expect(applyWindow(125, exact)).toBe(255);
    expect(applyWindow(100, exact)).toBeCloseTo(127.5, 10);
    const sigmoid: WindowSetting = { center: 100, width: 50, function: "SIGMOID", explanation: null };
    expect(applyWindow(100, sigmoid)).toBeCloseTo(127.5, 10);
    expect(applyWindow(125, sigmoid)).toBeCloseTo(255 / (1 + Math.exp(-2)), 10);
  });
});

describe("modality LUT, padding and VOI on real pixel values", () => {
  test("signed values with rescale slope / intercept give modality = stored x slope + intercept", async () => {
    // Stored = value - 512 (signed), slope 2, intercept 1000: modality = 2 * (value - 512) + 1000.
    const file = buildDicom(
      crChestDataset(
        { BitsStored: 12, HighBit: 11, RescaleSlope: 2, RescaleIntercept: 1000, RescaleType: "US" },
        (v) => v - 512,
        true,
      ),
    );
    const image = await decodeImageBuffer(file, "rescale.dcm");
    expect(image.metadata.pixelRepresentation).toBe(1);
    expect(image.metadata.rescale).toEqual({ slope: 2, intercept: 1000, type: "US" });
    const expected = Float32Array.from(reference.values, (v) => 2 * (v - 512) + 1000);
    expect(diffStats(image.modalityPixels, expected).max).toBe(0);
    // No window in the file: min-max of the modality values maps to 0..255.
    expect(image.voi.source).toBe("min-max");
    let minAt = 0;
    let maxAt = 0;
    for (let i = 0; i < expected.length; i++) {
      if ((expected[i] as number) < (expected[minAt] as number)) minAt = i;
      if ((expected[i] as number) > (expected[maxAt] as number)) maxAt = i;
    }
    expect(image.displayPixels[minAt]).toBe(0);
    expect(image.displayPixels[maxAt]).toBe(255);
  });

  test("pixel padding (value and range limit) is masked, shown black and left out of the min-max window", async () => {
    // The darkest tenth of the values becomes padding: value v < t is stored as 60000 + v (padding range 60000..).
    const t = Array.from(reference.values).sort((a, b) => a - b)[Math.floor(reference.values.length / 10)] as number;
    const file = buildDicom(
      crChestDataset({ PixelPaddingValue: 60000, PixelPaddingRangeLimit: 60000 + t - 1 }, (v) =>
        v < t ? 60000 + v : v,
      ),
    );
    const image = await decodeImageBuffer(file, "padding.dcm");
    const isPadding = Uint8Array.from(reference.values, (v) => (v < t ? 1 : 0));
    const paddingCount = isPadding.reduce((n, p) => n + p, 0);
    expect(paddingCount).toBeGreaterThan(10_000);
    expect(image.paddingCount).toBe(paddingCount);
    expect(image.metadata.pixelPadding).toEqual({ value: 60000, rangeLimit: 60000 + t - 1 });
    expect(diffStats(image.paddingMask ?? [], isPadding).max).toBe(0);
    const litPadding = image.displayPixels.filter((v, i) => isPadding[i] === 1 && v !== 0).length;
    expect(litPadding).toBe(0);
    // The window comes from the image values only (t..979), not from the padding (60000+).
    expect(image.voi.source).toBe("min-max");
    expect(image.modalityRange.min).toBe(t);
    expect(image.modalityRange.max).toBe(reference.values.reduce((m, v) => Math.max(m, v), 0));
  });

  test("a VOI LUT Sequence is applied (and wins over a window in the same file)", async () => {
    // LUT: first mapped 0, 1024 entries of 8 bits, output = floor(input / 4): the same as a 0..1023 linear ramp.
    const entries = Uint16Array.from({ length: 1024 }, (_, i) => Math.floor(i / 4));
    const file = buildDicom(
      crChestDataset({
        BitsStored: 10,
        HighBit: 9,
        WindowCenter: 100,
        WindowWidth: 10,
        VOILUTSequence: [
          {
            LUTDescriptor: [1024, 0, 8],
            LUTExplanation: "ramp",
            LUTData: entries.buffer,
            _vrMap: { LUTData: "OW", LUTDescriptor: "US" },
          },
        ],
      }),
    );
    const image = await decodeImageBuffer(file, "voi-lut.dcm");
    expect(image.voi).toMatchObject({ source: "voi-lut", lutExplanation: "ramp" });
    expect(image.metadata.hasVoiLut).toBe(true);
    for (let i = 0; i < reference.values.length; i += 101) {
      expect(image.displayPixels[i]).toBe(Math.floor((reference.values[i] as number) / 4));
    }
  });

  test("MONOCHROME1 is the inverse of MONOCHROME2 under the same window", async () => {
    const window = { BitsStored: 10, HighBit: 9, WindowCenter: 550, WindowWidth: 1024 };
    const mono2 = await decodeImageBuffer(buildDicom(crChestDataset(window)), "mono2.dcm");
    const mono1 = await decodeImageBuffer(
      buildDicom(crChestDataset({ ...window, PhotometricInterpretation: "MONOCHROME1" })),
      "mono1.dcm",
    );
    expect(mono1.metadata.inverted).toBe(true);
    expect(mono2.metadata.inverted).toBe(false);
    const notInverse = mono1.displayPixels.filter((v, i) => v + (mono2.displayPixels[i] as number) !== 255).length;
    expect(notInverse).toBe(0);
    expect(diffStats(mono1.modalityPixels, mono2.modalityPixels).max).toBe(0);
  });

  test("the window function of the file is used (SIGMOID), and a user window overrides the file", async () => {
    const file = buildDicom(
      crChestDataset({
        BitsStored: 10,
        HighBit: 9,
        WindowCenter: [550, 300],
        WindowWidth: [1024, 200],
        VOILUTFunction: "SIGMOID",
        WindowCenterWidthExplanation: ["NORMAL", "HARD"],
      }),
    );
    const fromFile = await decodeImageBuffer(file, "sigmoid.dcm");
    expect(fromFile.voi.source).toBe("window");
    expect(fromFile.voi.window).toEqual({ center: 550, width: 1024, function: "SIGMOID", explanation: "NORMAL" });
    expect(fromFile.metadata.windows).toHaveLength(2);
    const i = 440 * 220 + 220;
    const v = reference.values[i] as number;
    expect(fromFile.displayPixels[i]).toBe(Math.round(255 / (1 + Math.exp((-4 * (v - 550)) / 1024))));

    const user = await decodeImageBuffer(file, "sigmoid.dcm", { window: { center: 400, width: 300 } });
    expect(user.voi.source).toBe("user");
    expect(user.displayPixels[i]).toBe(Math.round(applyWindow(v, linear(400, 300))));
  });

  test("an invalid file window is skipped with a note", async () => {
    const file = buildDicom(crChestDataset({ BitsStored: 10, HighBit: 9, WindowCenter: 500, WindowWidth: 0 }));
    const image = await decodeImageBuffer(file, "zero-width.dcm");
    expect(image.voi.source).toBe("min-max");
    expect(image.voi.note).toMatch(/window width 0/);
  });

  test("High Bit above Bits Stored - 1 shifts the stored values down, and bits above are masked", async () => {
    // 10 bits stored in bits 2..11, with garbage in bits 12..15.
    const file = buildDicom(crChestDataset({ BitsStored: 10, HighBit: 11 }, (v) => (v << 2) | 0xa000 | 0x3));
    const image = await decodeImageBuffer(file, "high-bit.dcm");
    expect(diffStats(image.modalityPixels, reference.values).max).toBe(0);
  });

  test("renderGrayscale tabulates large images and computes small odd ranges the same way", () => {
    const stored = Int32Array.from(reference.values);
    const input = {
      modality: { kind: "rescale", slope: 0.5, intercept: -3 } as const,
      padding: null,
      voi: { fileWindows: [linear(200, 300)], identityWhenNoVoi: false },
      invert: true,
    };
    const tabulated = renderGrayscale({ ...input, stored });
    const perPixel = renderGrayscale({ ...input, stored: Float64Array.from(reference.values) });
    expect(diffStats(tabulated.displayPixels, perPixel.displayPixels).max).toBe(0);
  });
});

describe("other DICOM layouts", () => {
  test("multi-frame native data: each frame is decoded from its own offset", async () => {
    const frameBytes = reference.values.length;
    const pixels = new Uint16Array(frameBytes * 2);
    pixels.set(reference.values, 0);
    for (let i = 0; i < frameBytes; i++) pixels[frameBytes + i] = 1023 - (reference.values[i] as number);
    const file = buildDicom(
      crChestDataset({ BitsStored: 10, HighBit: 9, NumberOfFrames: 2, PixelData: pixels.buffer }),
    );
    const first = await decodeImageBuffer(file, "multi.dcm");
    const second = await decodeImageBuffer(file, "multi.dcm", { frame: 1 });
    expect(first.metadata.numberOfFrames).toBe(2);
    expect(second.metadata.frame).toBe(1);
    expect(diffStats(first.modalityPixels, reference.values).max).toBe(0);
    expect(diffStats(second.modalityPixels, pixels.subarray(frameBytes)).max).toBe(0);
  });

  test("RGB data is reduced to BT.601 luma (PIL convert('L') rounding)", async () => {
    const { width, height, values } = reference;
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0; i < values.length; i++) {
      const v = (values[i] as number) >> 2;
      rgb[i * 3] = v;
      rgb[i * 3 + 1] = 255 - v;
      rgb[i * 3 + 2] = (v * 7) % 256;
    }
    const file = buildDicom(colourDataset(height, width, "RGB", rgb.buffer));
    const image = await decodeImageBuffer(file, "rgb.dcm");
    expect(image.voi.source).toBe("identity");
    for (let i = 0; i < values.length; i += 37) {
      const [r, g, b] = [rgb[i * 3] as number, rgb[i * 3 + 1] as number, rgb[i * 3 + 2] as number];
      expect(image.displayPixels[i]).toBe((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
    }
  });

  test("text in UTF-8 (Specific Character Set ISO_IR 192) is decoded", async () => {
    const file = buildDicom(
      crChestDataset({
        SpecificCharacterSet: "ISO_IR 192",
        PatientName: "Müller^Jörg",
        SeriesDescription: "Thorax p.a. – stehend",
      }),
    );
    const image = await decodeImageBuffer(file, "utf8.dcm");
    expect(image.metadata.patientName).toBe("Müller^Jörg");
    expect(image.metadata.seriesDescription).toBe("Thorax p.a. – stehend");
  });

  test("HTJ2K and JPEG XL (encoded here with the same codecs) decode to the original values", async () => {
    const codecs = (await ensureCodecs("transcode")) as typeof DcmjsCodecs;
    const source = buildDicom(crChestDataset({ BitsStored: 10, HighBit: 9 }));
    const lossless = [
      "1.2.840.10008.1.2.4.201", // HTJ2K lossless
      "1.2.840.10008.1.2.4.202", // HTJ2K RPCL lossless
      "1.2.840.10008.1.2.4.110", // JPEG XL lossless
    ];
    for (const uid of [...lossless, "1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.4.112"]) {
      const transcoder = new codecs.Transcoder(Uint8Array.from(source).buffer);
      transcoder.transcode(uid);
      const image = await decodeImageBuffer(new Uint8Array(transcoder.getDicomPart10()), uid);
      expect(image.metadata.transferSyntaxUid).toBe(uid);
      const diff = diffStats(image.modalityPixels, reference.values);
      if (lossless.includes(uid)) expect(diff.max).toBe(0);
      else expect(diff.mean).toBeLessThan(4);
    }
  });
});
