/**
 * Byte-level DICOM Part 10 helpers for the viewer (no DOM, no Node: also run by the unit tests):
 * reading and writing the File Meta Information, and transcoding a compressed (encapsulated) data set to Explicit
 * VR Little Endian with a frame decoder, so that cornerstone-wado-image-loader never needs its own codecs. (Its
 * bundled codecs are Emscripten builds that create functions from strings, which the renderer's CSP forbids.)
 */
import dicomParser from "dicom-parser";
import type { DecodedFrame, EncodedFrame } from "../../../../src-shared/pixel-frame-codecs";

export const IMPLICIT_LE = "1.2.840.10008.1.2";
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const DEFLATED_LE = "1.2.840.10008.1.2.1.99";
export const EXPLICIT_BE = "1.2.840.10008.1.2.2";

const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

/** The codecs the viewer transcodes with (src-shared/pixel-frame-codecs.ts decodes them). */
export type FrameCodec = "rle" | "jpeg" | "jpeg-ls" | "jpeg2000" | "ht-jpeg2000";

/** Transfer syntaxes whose pixel data is encapsulated, and the codec each needs. */
const CODECS: Record<string, FrameCodec> = {
  "1.2.840.10008.1.2.5": "rle",
  "1.2.840.10008.1.2.4.50": "jpeg",
  "1.2.840.10008.1.2.4.51": "jpeg",
  "1.2.840.10008.1.2.4.57": "jpeg",
  "1.2.840.10008.1.2.4.70": "jpeg",
  "1.2.840.10008.1.2.4.80": "jpeg-ls",
  "1.2.840.10008.1.2.4.81": "jpeg-ls",
  "1.2.840.10008.1.2.4.90": "jpeg2000",
  "1.2.840.10008.1.2.4.91": "jpeg2000",
  "1.2.840.10008.1.2.4.201": "ht-jpeg2000",
  "1.2.840.10008.1.2.4.202": "ht-jpeg2000",
  "1.2.840.10008.1.2.4.203": "ht-jpeg2000",
};

export function codecFor(transferSyntaxUid: string): FrameCodec | null {
  return CODECS[transferSyntaxUid] ?? null;
}

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

export type { DecodedFrame, EncodedFrame } from "../../../../src-shared/pixel-frame-codecs";

export type FrameDecoder = (frame: EncodedFrame) => DecodedFrame | Promise<DecodedFrame>;

/** Raw bytes of one top-level element (header included) replaced by a new element, by tag. */
interface Replacement {
  tag: string;
  vr: string;
  value: Uint8Array;
}

/**
 * Transcodes a Part 10 file with encapsulated pixel data to Explicit VR Little Endian: every frame decoded with
 * `decode`, the data set copied byte for byte up to the pixel data (Photometric Interpretation and Planar
 * Configuration updated when the decoder changed them, e.g. JPEG 2000 colour to RGB), then native pixel data.
 * Files that are not encapsulated are returned unchanged.
 */
export async function transcodeToExplicitLittleEndian(bytes: Uint8Array, decode: FrameDecoder): Promise<Uint8Array> {
  if (!isPart10(bytes)) throw new Error("not a DICOM Part 10 file");
  const { elements: meta, end: metaEnd } = readMeta(bytes);
  const tsElement = meta.find((m) => m.element === 0x0010);
  const codec = tsElement ? codecFor(asciiValue(tsElement.value)) : null;
  if (!tsElement || !codec) return bytes;
  const ds = dicomParser.parseDicom(bytes);
  const pixel = ds.elements.x7fe00010;
  if (!pixel?.encapsulatedPixelData) throw new Error("compressed transfer syntax without encapsulated pixel data");
  const rows = ds.uint16("x00280010") ?? 0;
  const columns = ds.uint16("x00280011") ?? 0;
  const bitsAllocated = ds.uint16("x00280100") ?? 0;
  const bitsStored = ds.uint16("x00280101") ?? bitsAllocated;
  const samplesPerPixel = ds.uint16("x00280002") ?? 1;
  const pixelRepresentation = ds.uint16("x00280103") ?? 0;
  const planarConfiguration = ds.uint16("x00280006") ?? 0;
  const photometric = (ds.string("x00280004") ?? "MONOCHROME2").trim();
  const frames = Math.max(1, Number.parseInt(ds.string("x00280008") ?? "1", 10) || 1);
  if (rows <= 0 || columns <= 0 || ![8, 16].includes(bitsAllocated)) {
    throw new Error(`unsupported image geometry: ${columns}x${rows}, ${bitsAllocated} bits allocated`);
  }
  const fragments = pixel.fragments ?? [];
  const frameBytes = (index: number): Uint8Array => {
    if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, fragments.length);
    if (pixel.basicOffsetTable && pixel.basicOffsetTable.length > 0) {
      return dicomParser.readEncapsulatedImageFrame(ds, pixel, index);
    }
    if (fragments.length === frames) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, index, 1);
    throw new Error(`cannot tell the ${frames} frames apart in ${fragments.length} fragments without an offset table`);
  };
  const frameLength = rows * columns * samplesPerPixel * (bitsAllocated / 8);
  const decoded: Uint8Array[] = [];
  let outPhotometric = photometric;
  let outPlanar = planarConfiguration;
  for (let f = 0; f < frames; f++) {
    const result = await decode({
      codec,
      data: frameBytes(f),
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
      throw new Error(`frame ${f + 1}: the ${codec} decoder gave ${result.data.length} bytes, ${frameLength} expected`);
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
  // The data set between the meta information and the pixel data, with the replacements spliced in.
  const pixelHeaderStart = pixel.dataOffset - 12;
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
  const pixelLength = frameLength * frames;
  const padded = pixelLength % 2;
  const pixelVr = bitsAllocated > 8 ? "OW" : "OB";
  const pixelHeader = new Uint8Array(12);
  writeElementHeader(pixelHeader, 0, 0x7fe0, 0x0010, pixelVr, pixelLength + padded);
  parts.push(pixelHeader, ...decoded);
  if (padded) parts.push(new Uint8Array(1));

  const newMeta = meta.map((m) => (m.element === 0x0010 ? { ...m, value: textValue(EXPLICIT_LE) } : m));
  return writePart10(newMeta, parts);
}
