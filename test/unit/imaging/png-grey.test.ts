/**
 * The in-thread grey PNG decoder (png-grey.ts) against sharp on the same bytes: every filter type (PNGs written
 * here row by row with a chosen filter), 8 and 16 bits, odd sizes, sharp's own adaptive filtering; and the PNGs it
 * leaves to sharp (colour, interlaced, damaged) return null, so decodeImageFile keeps sharp's errors.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import sharp from "sharp";
import { afterAll, describe, expect, test } from "vitest";
import { decodeImageBuffer, decodeImageFile } from "../../../src-main/services/imaging/decode-image";
import { decodePngGrey } from "../../../src-main/services/imaging/png-grey";
import { tempDir } from "./imaging-fixtures";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** Filters one row of bytes the way an encoder does (PNG spec section 9), bpp bytes per pixel. */
function filterRow(type: number, row: Uint8Array, prev: Uint8Array | null, bpp: number): Uint8Array {
  const out = new Uint8Array(row.length);
  for (let x = 0; x < row.length; x++) {
    const a = x >= bpp ? row[x - bpp]! : 0;
    const b = prev ? prev[x]! : 0;
    const c = prev && x >= bpp ? prev[x - bpp]! : 0;
    let pred = 0;
    if (type === 1) pred = a;
    else if (type === 2) pred = b;
    else if (type === 3) pred = (a + b) >> 1;
    else if (type === 4) {
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    out[x] = (row[x]! - pred) & 0xff;
  }
  return out;
}

/** A grey PNG of `samples` with row y filtered by filters[y % filters.length], IDAT split in `idatParts`. */
function greyPng(
  width: number,
  height: number,
  bits: 8 | 16,
  samples: ArrayLike<number>,
  filters: number[],
  idatParts = 1,
) {
  const bpp = bits / 8;
  const rowBytes = width * bpp;
  const raw = Buffer.alloc(height * (rowBytes + 1));
  let prev: Uint8Array | null = null;
  for (let y = 0; y < height; y++) {
    const row = new Uint8Array(rowBytes);
    for (let x = 0; x < width; x++) {
      const v = samples[y * width + x]!;
      if (bits === 8) row[x] = v;
      else {
        row[2 * x] = v >> 8;
        row[2 * x + 1] = v & 0xff;
      }
    }
    const type = filters[y % filters.length]!;
    raw[y * (rowBytes + 1)] = type;
    raw.set(filterRow(type, row, prev, bpp), y * (rowBytes + 1) + 1);
    prev = row;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bits;
  const deflated = zlib.deflateSync(raw);
  const step = Math.ceil(deflated.length / idatParts);
  const idat: Buffer[] = [];
  for (let at = 0; at < deflated.length; at += step) idat.push(chunk("IDAT", deflated.subarray(at, at + step)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("tEXt", Buffer.from("Comment\0made by the test", "latin1")),
    ...idat,
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A smooth image with noise: every filter predicts something different from the others. */
function pattern(width: number, height: number, max: number): number[] {
  const out: number[] = [];
  let seed = 12345;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const smooth = ((x * 7 + y * 3) / (width * 7 + height * 3)) * max;
      out.push(Math.min(max, Math.max(0, Math.round(smooth + ((seed >>> 16) % 41) - 20))));
    }
  return out;
}

async function sharpGrey(png: Buffer, bits: 8 | 16): Promise<number[]> {
  const { data } = await sharp(png)
    .toColourspace(bits === 16 ? "grey16" : "b-w")
    .raw({ depth: bits === 16 ? "ushort" : "uchar" })
    .toBuffer({ resolveWithObject: true });
  return bits === 16 ? [...new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)] : [...data];
}

describe("grey PNGs decode to sharp's values", () => {
  const cases: Array<[string, number, number, 8 | 16, number[], number]> = [
    ["8-bit, filter None", 37, 11, 8, [0], 1],
    ["8-bit, filter Sub", 37, 11, 8, [1], 1],
    ["8-bit, filter Up", 37, 11, 8, [2], 1],
    ["8-bit, filter Average", 37, 11, 8, [3], 1],
    ["8-bit, filter Paeth", 37, 11, 8, [4], 1],
    ["8-bit, every filter in turn, IDAT in 5 chunks", 64, 40, 8, [4, 3, 2, 1, 0], 5],
    ["16-bit, every filter in turn", 33, 17, 16, [0, 1, 2, 3, 4], 2],
    ["16-bit, Paeth and Average first (row above zero)", 9, 5, 16, [4, 3], 1],
    ["1x1 8-bit", 1, 1, 8, [4], 1],
  ];
  test.each(cases)("%s", async (_name, width, height, bits, filters, parts) => {
    const samples = pattern(width, height, bits === 16 ? 65535 : 255);
    const png = greyPng(width, height, bits, samples, filters, parts);
    const fast = decodePngGrey(png, 1e9);
    expect(fast).not.toBeNull();
    expect([fast!.width, fast!.height, fast!.bits]).toEqual([width, height, bits]);
    expect([...fast!.samples]).toEqual(samples);
    expect([...fast!.samples]).toEqual(await sharpGrey(png, bits));
  });

  test("sharp's own PNGs (adaptive filtering, 8 and 16 bits) decode to the values sharp reads", async () => {
    for (const bits of [8, 16] as const) {
      const samples = pattern(301, 203, bits === 16 ? 65535 : 255);
      const raw = bits === 16 ? new Uint16Array(samples) : new Uint8Array(samples);
      const png = await sharp(raw, { raw: { width: 301, height: 203, channels: 1 } })
        .toColourspace(bits === 16 ? "grey16" : "b-w")
        .png({ adaptiveFiltering: true, compressionLevel: 9 })
        .toBuffer();
      const fast = decodePngGrey(png, 1e9);
      expect(fast?.bits).toBe(bits);
      expect([...fast!.samples]).toEqual(samples);
      // decodeImageFile: the same pixels and metadata as before (modality = stored values, 8-bit identity).
      const image = await decodeImageBuffer(png, `grey${bits}.png`);
      expect(image.metadata).toMatchObject({ format: "png", bitsStored: bits, photometric: "MONOCHROME2" });
      expect([...image.modalityPixels]).toEqual(samples);
      if (bits === 8) expect([...image.displayPixels]).toEqual(samples);
    }
  });
});

describe("PNGs left to sharp", () => {
  const samples = pattern(20, 10, 255);
  const good = greyPng(20, 10, 8, samples, [0, 1, 2, 3, 4]);

  test("colour, interlaced and palette PNGs return null", async () => {
    const rgb = await sharp(Buffer.alloc(20 * 10 * 3, 90), { raw: { width: 20, height: 10, channels: 3 } })
      .png()
      .toBuffer();
    const interlaced = await sharp(new Uint8Array(samples), { raw: { width: 20, height: 10, channels: 1 } })
      .toColourspace("b-w")
      .png({ progressive: true })
      .toBuffer();
    const palette = await sharp(Buffer.alloc(20 * 10 * 3, 90), { raw: { width: 20, height: 10, channels: 3 } })
      .png({ palette: true })
      .toBuffer();
    for (const png of [rgb, interlaced, palette]) expect(decodePngGrey(png, 1e9)).toBeNull();
    // ... and still decode (through sharp) to the same values.
    expect([...(await decodeImageBuffer(interlaced, "interlaced.png")).displayPixels]).toEqual(samples);
  });

  test("a bad CRC, truncated data, a short image and too many pixels return null", () => {
    const badCrc = Buffer.from(good);
    badCrc[good.length - 20] = badCrc[good.length - 20]! ^ 0xff;
    expect(decodePngGrey(good, 1e9)).not.toBeNull();
    expect(decodePngGrey(badCrc, 1e9)).toBeNull();
    expect(decodePngGrey(good.subarray(0, good.length - 30), 1e9)).toBeNull();
    expect(decodePngGrey(good, 199)).toBeNull();
    // IHDR says 11 rows, the data holds 10.
    const tall = Buffer.from(good);
    tall.writeUInt32BE(11, 8 + 8 + 4);
    tall.writeUInt32BE(zlib.crc32(tall.subarray(12, 12 + 4 + 13)) >>> 0, 12 + 4 + 13);
    expect(decodePngGrey(tall, 1e9)).toBeNull();
  });

  test("a truncated grey PNG file still fails as CORRUPT_IMAGE naming the file", async () => {
    const file = path.join(tmp.dir, "truncated.png");
    fs.writeFileSync(file, good.subarray(0, good.length - 30));
    await expect(decodeImageFile(file)).rejects.toMatchObject({ code: "CORRUPT_IMAGE", path: file });
  });
});
