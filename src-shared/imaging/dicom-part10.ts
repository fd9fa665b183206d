/**
 * Byte-level DICOM Part 10 helpers for the viewer (no DOM, no Node: run by the renderer's transcode worker, by the
 * main process when it writes the viewer's decoded copy of a file (src-main/services/files/viewer-copies.ts), and by
 * the unit tests): reading and writing
 * the File Meta Information, and transcoding a compressed (encapsulated) data set to Explicit VR Little Endian with a
 * frame decoder, so that cornerstone-wado-image-loader never needs its own codecs. (Its bundled codecs are Emscripten
 * builds that create functions from strings, which the renderer's CSP forbids.) The data set is read, checked and
 * split into frames by the one DICOM reader (src-shared/imaging), exactly as the main process reads it.
 */
import { readDicomImage } from "./dicom-reader";
import { ImagingError } from "./errors";
import { type DecodedFrame, type EncodedFrame, FrameCodecFailure } from "./pixel-frame-codecs";
import { frameBytes, nativeFrameLength } from "./pixel-frames";
import { EXPLICIT_VR_LITTLE_ENDIAN } from "./transfer-syntaxes";

const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

export interface MetaElement {
  element: number;
  vr: string;
  value: Uint8Array;
}

export function isPart10(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
  );
}

/** Reads the File Meta Information (group 0002, explicit VR little endian) that follows "DICM". */
export function readMeta(bytes: Uint8Array): { elements: MetaElement[]; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements: MetaElement[] = [];
  let pos = 132;
  while (pos + 8 <= bytes.length && view.getUint16(pos, true) === 0x0002) {
    const element = view.getUint16(pos + 2, true);
    const vr = String.fromCharCode(bytes[pos + 4] ?? 0, bytes[pos + 5] ?? 0);
    let length: number;
    let start: number;
    if (LONG_VRS.has(vr)) {
      length = view.getUint32(pos + 8, true);
      start = pos + 12;
    } else {
      length = view.getUint16(pos + 6, true);
      start = pos + 8;
    }
    if (start + length > bytes.length) throw new Error("damaged DICOM file meta information");
    elements.push({ element, vr, value: bytes.subarray(start, start + length) });
    pos = start + length;
  }
  return { elements, end: pos };
}

export const asciiValue = (value: Uint8Array) => String.fromCharCode(...value).replace(/[\0 ]+$/, "");

/** A value of VR UI / CS padded to even length (UI with NUL, text with space). */
export function textValue(text: string, pad: "\0" | " " = "\0"): Uint8Array {
  const padded = text.length % 2 === 1 ? `${text}${pad}` : text;
  return Uint8Array.from(padded, (c) => c.charCodeAt(0));
}

function writeElementHeader(out: Uint8Array, pos: number, group: number, element: number, vr: string, length: number) {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(pos, group, true);
  view.setUint16(pos + 2, element, true);
  out[pos + 4] = vr.charCodeAt(0);
  out[pos + 5] = vr.charCodeAt(1);
  if (LONG_VRS.has(vr)) {
    out[pos + 6] = 0;
    out[pos + 7] = 0;
    view.setUint32(pos + 8, length, true);
    return pos + 12;
  }
  view.setUint16(pos + 6, length, true);
  return pos + 8;
}

const headerSize = (vr: string) => (LONG_VRS.has(vr) ? 12 : 8);

/** Serialises a zero preamble, "DICM", the File Meta Information (with its group length) and the data set parts. */
export function writePart10(meta: MetaElement[], dataSetParts: Uint8Array[]): Uint8Array {
  const body = meta.filter((m) => m.element !== 0x0000).sort((a, b) => a.element - b.element);
  const groupLength = body.reduce((n, m) => n + headerSize(m.vr) + m.value.length, 0);
  const dataLength = dataSetParts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(132 + 12 + groupLength + dataLength);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  let pos = writeElementHeader(out, 132, 0x0002, 0x0000, "UL", 4);
  new DataView(out.buffer).setUint32(pos, groupLength, true);
  pos += 4;
  for (const m of body) {
    pos = writeElementHeader(out, pos, 0x0002, m.element, m.vr, m.value.length);
    out.set(m.value, pos);
    pos += m.value.length;
  }
  for (const part of dataSetParts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

export type { DecodedFrame, EncodedFrame } from "./pixel-frame-codecs";

export type FrameDecoder = (frame: EncodedFrame) => DecodedFrame | Promise<DecodedFrame>;

/** Raw bytes of one top-level element (header included) replaced by a new element, by tag. */
interface Replacement {
  tag: string;
  vr: string;
  value: Uint8Array;
}

/** A frame through `decode`; a codec failure becomes the ImagingError (CORRUPT_PIXEL_DATA) naming the file. */
async function decodeOrRefuse(decode: FrameDecoder, name: string, frame: EncodedFrame): Promise<DecodedFrame> {
  try {
    return await decode(frame);
  } catch (cause) {
    if (cause instanceof FrameCodecFailure) {
      throw new ImagingError("CORRUPT_PIXEL_DATA", name, cause.message, { cause });
    }
    throw cause;
  }
}

/**
 * Transcodes a Part 10 file with encapsulated pixel data to Explicit VR Little Endian: every frame decoded with
 * `decode`, the data set copied byte for byte up to the pixel data (Photometric Interpretation and Planar
 * Configuration updated when the decoder changed them, e.g. JPEG 2000 colour to RGB), then native pixel data.
 * Files that are not encapsulated are returned unchanged. A file the viewer cannot display, or damaged pixel data,
 * fails with the ImagingError naming `name` and the problem.
 */
export async function transcodeToExplicitLittleEndian(
  bytes: Uint8Array,
  decode: FrameDecoder,
  name = "the image",
): Promise<Uint8Array> {
  if (!isPart10(bytes)) throw new Error("not a DICOM Part 10 file");
  const { elements: meta, end: metaEnd } = readMeta(bytes);
  const { parsed, image } = readDicomImage(bytes, name, { consumer: "viewer" });
  if (parsed.transferSyntax.codec === "native" || !image.encapsulated) return bytes;
  const ds = parsed.dataSet;
  const pixel = ds.elements.x7fe00010!;
  const { rows, columns, bitsAllocated, bitsStored, samplesPerPixel, pixelRepresentation, planarConfiguration } = image;
  const photometric = image.photometric;
  const frames = image.numberOfFrames;
  const frameLength = nativeFrameLength(image);
  const decoded: Uint8Array[] = [];
  let outPhotometric = photometric;
  let outPlanar = planarConfiguration;
  for (let f = 0; f < frames; f++) {
    const located = frameBytes(parsed, image, f, name);
    if (located.kind !== "encoded") throw new Error("compressed transfer syntax without encapsulated pixel data");
    const result = await decodeOrRefuse(decode, name, {
      codec: located.codec,
      data: located.bytes,
      width: columns,
      height: rows,
      bitsAllocated,
      bitsStored,
      samplesPerPixel,
      pixelRepresentation,
      planarConfiguration,
      photometric,
    });
    if (result.data.length < frameLength) {
      throw new Error(
        `frame ${f + 1}: the ${located.codec} decoder gave ${result.data.length} bytes, ${frameLength} expected`,
      );
    }
    decoded.push(result.data.subarray(0, frameLength));
    outPhotometric = result.photometric;
    outPlanar = result.planarConfiguration;
  }

  const replacements: Replacement[] = [];
  if (outPhotometric !== photometric) {
    replacements.push({ tag: "x00280004", vr: "CS", value: textValue(outPhotometric, " ") });
  }
  if (outPlanar !== planarConfiguration && ds.elements.x00280006) {
    const value = new Uint8Array(2);
    new DataView(value.buffer).setUint16(0, outPlanar, true);
    replacements.push({ tag: "x00280006", vr: "US", value });
  }
  return writeNative(
    bytes,
    meta,
    metaEnd,
    ds,
    replacements,
    pixel.dataOffset - 12,
    bitsAllocated > 8,
    decoded,
    frameLength * frames,
  );
}

/**
 * An Explicit VR Little Endian Part 10 file: the data set of `bytes` copied byte for byte from the end of its meta
 * information up to `pixelHeaderStart` with `replacements` spliced in, then native pixel data made of `pixelParts`.
 */
function writeNative(
  bytes: Uint8Array,
  meta: MetaElement[],
  metaEnd: number,
  ds: ReturnType<typeof readDicomImage>["parsed"]["dataSet"],
  replacements: Replacement[],
  pixelHeaderStart: number,
  wide: boolean,
  pixelParts: Uint8Array[],
  pixelLength: number,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let cursor = metaEnd;
  const sorted = replacements
    .map((r) => ({ ...r, element: ds.elements[r.tag]! }))
    .filter((r) => r.element && r.element.dataOffset < pixelHeaderStart)
    .sort((a, b) => a.element.dataOffset - b.element.dataOffset);
  for (const r of sorted) {
    const start = r.element.dataOffset - headerSize(r.element.vr ?? r.vr);
    parts.push(bytes.subarray(cursor, start));
    const element = new Uint8Array(headerSize(r.vr) + r.value.length);
    const [group, elem] = [Number.parseInt(r.tag.slice(1, 5), 16), Number.parseInt(r.tag.slice(5, 9), 16)];
    writeElementHeader(element, 0, group, elem, r.vr, r.value.length);
    element.set(r.value, headerSize(r.vr));
    parts.push(element);
    cursor = r.element.dataOffset + r.element.length;
  }
  parts.push(bytes.subarray(cursor, pixelHeaderStart));
  const padded = pixelLength % 2;
  const pixelHeader = new Uint8Array(12);
  writeElementHeader(pixelHeader, 0, 0x7fe0, 0x0010, wide ? "OW" : "OB", pixelLength + padded);
  parts.push(pixelHeader, ...pixelParts);
  if (padded) parts.push(new Uint8Array(1));

  const newMeta = meta.map((m) => (m.element === 0x0010 ? { ...m, value: textValue(EXPLICIT_VR_LITTLE_ENDIAN) } : m));
  return writePart10(newMeta, parts);
}

/** The long side up to which an image needs no reduced-resolution first paint (issue 19.3). */
export const PREVIEW_MAX_LONG_SIDE = 1024;

/**
 * A reduced-resolution copy of a native (uncompressed) single-frame grayscale Part 10 file, for the viewer's first
 * paint: each block of `factor`×`factor` stored values averaged (the block's mean, rounded), Rows and Columns
 * replaced (ceil(size / factor)), everything else — windows, rescale, photometric interpretation, pixel spacing —
 * copied, so the loader shows it exactly as it shows the original, only smaller. Returns null for a file it does not
 * apply to (compressed, colour, multi-frame, 32-bit, or already small).
 */
export function reducedResolutionCopy(bytes: Uint8Array, name = "the image"): Uint8Array | null {
  if (!isPart10(bytes)) return null;
  const { elements: meta, end: metaEnd } = readMeta(bytes);
  const { parsed, image } = readDicomImage(bytes, name, { consumer: "viewer" });
  const ts = parsed.transferSyntax;
  if (ts.uid !== EXPLICIT_VR_LITTLE_ENDIAN || image.encapsulated) return null;
  if (image.samplesPerPixel !== 1 || image.numberOfFrames !== 1) return null;
  if (image.bitsAllocated !== 8 && image.bitsAllocated !== 16) return null;
  const { rows, columns } = image;
  const longSide = Math.max(rows, columns);
  if (longSide <= PREVIEW_MAX_LONG_SIDE) return null;
  const factor = Math.ceil(longSide / PREVIEW_MAX_LONG_SIDE);
  const ds = parsed.dataSet;
  const pixel = ds.elements.x7fe00010;
  if (!pixel || pixel.length < nativeFrameLength(image)) return null;
  const outRows = Math.ceil(rows / factor);
  const outColumns = Math.ceil(columns / factor);
  const wide = image.bitsAllocated === 16;
  const signed = image.pixelRepresentation === 1;
  const at = bytes.byteOffset + pixel.dataOffset;
  // Stored values as they are in the file (little endian); the sign bit of a signed value is bit bitsStored - 1.
  const src = wide
    ? new Uint16Array(bytes.buffer.slice(at, at + rows * columns * 2))
    : bytes.subarray(pixel.dataOffset, pixel.dataOffset + rows * columns);
  const mask = 2 ** image.bitsStored - 1;
  const shift = image.highBit + 1 - image.bitsStored;
  const signBit = 2 ** (image.bitsStored - 1);
  const storedValue = (raw: number) => {
    const v = (raw >>> shift) & mask;
    return signed && v >= signBit ? v - 2 * signBit : v;
  };
  const out = wide ? new Uint16Array(outRows * outColumns) : new Uint8Array(outRows * outColumns);
  for (let r = 0; r < outRows; r++) {
    const r0 = r * factor;
    const r1 = Math.min(rows, r0 + factor);
    for (let c = 0; c < outColumns; c++) {
      const c0 = c * factor;
      const c1 = Math.min(columns, c0 + factor);
      let sum = 0;
      for (let y = r0; y < r1; y++) for (let x = c0; x < c1; x++) sum += storedValue(src[y * columns + x] as number);
      const mean = Math.round(sum / ((r1 - r0) * (c1 - c0)));
      // Written back in the stored encoding (two's complement within bitsStored, at the same bit position).
      out[r * outColumns + c] = ((mean < 0 ? mean + 2 * signBit : mean) & mask) << shift;
    }
  }
  const us = (value: number) => {
    const v = new Uint8Array(2);
    new DataView(v.buffer).setUint16(0, value, true);
    return v;
  };
  const pixelBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  return writeNative(
    bytes,
    meta,
    metaEnd,
    ds,
    [
      { tag: "x00280010", vr: "US", value: us(outRows) },
      { tag: "x00280011", vr: "US", value: us(outColumns) },
    ],
    pixel.dataOffset - 12,
    wide,
    [pixelBytes],
    pixelBytes.length,
  );
}
