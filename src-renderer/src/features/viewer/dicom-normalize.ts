/**
 * Makes every supported DICOM file readable by cornerstone-wado-image-loader 4.13 before it parses the bytes (its
 * `beforeProcessing` hook), without changing a pixel value, and refuses what the viewer cannot show correctly. The
 * file is read by the one DICOM reader (src-shared/imaging) with the viewer's rules (./supported-input via
 * readDicomImage, the one transfer-syntax table):
 * - a raw data set without the Part 10 header (no preamble / "DICM"), or a meta header without its preamble: given
 *   a preamble and File Meta Information, in the transfer syntax the reader recognised;
 * - Deflated Explicit VR Little Endian: the data set after the meta header is raw deflate; it is inflated (capped, so
 *   a deflate bomb fails) and the meta header's transfer syntax becomes Explicit VR Little Endian, which is what the
 *   inflated bytes are (the loader's dicom-parser would inflate with Node's zlib, which a browser does not have);
 * - compressed (encapsulated) pixel data: decoded in a worker with dcmjs-codecs and written as Explicit VR Little
 *   Endian (./transcoder.ts), because the loader's own codecs cannot run under the renderer's CSP; damaged streams
 *   (no EOI / EOC, RLE segments past the end) are refused there;
 * - native pixel data: every frame must be present (the loader would show a short frame as garbage);
 * - no Modality (0008,0060) — common in secondary captures, e.g. dcmtk's img2dcm — gets "OT" appended after the
 *   pixel data: the loader's metadata provider calls modality.includes() and would throw; dicom-parser reads
 *   elements in any order, and nothing here displays or uses the value.
 * Failures are ImagingErrors; the viewer shows their reason with the file's name.
 */

import { asciiValue, readMeta, textValue, writePart10 } from "../../../../src-shared/imaging/dicom-part10";
import { parseDicom, readDicomImage, sniffDicom } from "../../../../src-shared/imaging/dicom-reader";
import { ImagingError } from "../../../../src-shared/imaging/errors";
import { checkAllFrames } from "../../../../src-shared/imaging/pixel-frames";
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  transferSyntax,
} from "../../../../src-shared/imaging/transfer-syntaxes";

/** The largest inflated data set the viewer accepts (the main process's limit is the file limit, 1 GiB). */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

async function inflateRaw(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > MAX_INFLATED_BYTES) {
        await reader.cancel();
        throw new ImagingError(
          "TOO_LARGE",
          name,
          `the deflated data set inflates to more than ${MAX_INFLATED_BYTES} bytes`,
        );
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof ImagingError) throw cause;
    throw new ImagingError(
      "CORRUPT_DICOM",
      name,
      "the deflated data set cannot be inflated: the file is truncated or corrupt",
      { cause },
    );
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}

/** A Part 10 file: raw data sets and meta headers without preamble get one. */
function asPart10(bytes: Uint8Array, name: string): Uint8Array {
  const sniff = sniffDicom(bytes);
  if (!sniff) {
    throw new ImagingError("NOT_DICOM", name, 'the file is not DICOM (no "DICM" prefix at byte 128 and no data set)');
  }
  if (sniff.kind === "part10") return bytes;
  if (sniff.kind === "meta-without-preamble") {
    const out = new Uint8Array(132 + bytes.length);
    out.set([0x44, 0x49, 0x43, 0x4d], 128);
    out.set(bytes, 132);
    return out;
  }
  const ds = parseDicom(bytes, name, { consumer: "viewer" }).dataSet;
  return writePart10(
    [
      { element: 0x0001, vr: "OB", value: new Uint8Array([0, 1]) },
      { element: 0x0002, vr: "UI", value: textValue(ds.string("x00080016") ?? "") },
      { element: 0x0003, vr: "UI", value: textValue(ds.string("x00080018") ?? "") },
      { element: 0x0010, vr: "UI", value: textValue(sniff.transferSyntaxUid) },
    ],
    [bytes],
  );
}

/** Compressed DICOM in, Explicit VR Little Endian out (the renderer's worker; in-process in the Node tests). */
export type Transcode = (bytes: Uint8Array) => Promise<Uint8Array>;

const workerTranscode: Transcode = async (bytes) => (await import("./transcoder")).transcode(bytes);

/**
 * The file as a Part 10 file the one reader parses in the renderer: a preamble and meta header added where it has
 * none, a deflated data set inflated (its meta header then says Explicit VR Little Endian). The tag browser reads
 * the file through this too.
 */
export async function readableDicomBytes(buffer: ArrayBuffer, name = "the image"): Promise<Uint8Array> {
  const bytes: Uint8Array = asPart10(new Uint8Array(buffer), name);
  let elements: ReturnType<typeof readMeta>["elements"];
  let end: number;
  try {
    ({ elements, end } = readMeta(bytes));
  } catch {
    throw new ImagingError("CORRUPT_DICOM", name, "the File Meta Information is damaged or truncated");
  }
  const ts = elements.find((m) => m.element === 0x0010);
  if (!ts || !transferSyntax(asciiValue(ts.value))?.deflated) return bytes;
  const inflated = await inflateRaw(bytes.subarray(end), name);
  return writePart10(
    elements.map((m) => (m === ts ? { ...m, value: textValue(EXPLICIT_VR_LITTLE_ENDIAN) } : m)),
    [inflated],
  );
}

/** Returns bytes the wado image loader can parse and decode without codecs. `name` is used in errors. */
export async function normalizeDicomBytes(
  buffer: ArrayBuffer,
  name = "the image",
  transcode: Transcode = workerTranscode,
): Promise<ArrayBuffer> {
  const bytes = await readableDicomBytes(buffer, name);
  const { parsed, image } = readDicomImage(bytes, name, { consumer: "viewer" });
  const hasModality = Boolean(parsed.dataSet.string("x00080060")?.trim());
  if (parsed.transferSyntax.codec !== "native") {
    const native = await transcode(bytes);
    return toArrayBuffer(hasModality ? native : withModality(native, EXPLICIT_VR_LITTLE_ENDIAN));
  }
  checkAllFrames(parsed, image, name);
  return toArrayBuffer(hasModality ? bytes : withModality(bytes, parsed.transferSyntax.uid));
}

/** The data set with Modality "OT" appended (encoded in its transfer syntax), for the loader's metadata provider. */
function withModality(bytes: Uint8Array, transferSyntaxUid: string): Uint8Array {
  const ts = transferSyntax(transferSyntaxUid);
  const implicit = transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN;
  const little = !ts?.bigEndian;
  const element = new Uint8Array(10);
  const view = new DataView(element.buffer);
  view.setUint16(0, 0x0008, little);
  view.setUint16(2, 0x0060, little);
  if (implicit) {
    view.setUint32(4, 2, true);
    element.set([0x4f, 0x54], 8);
  } else {
    element.set([0x43, 0x53], 4); // "CS"
    view.setUint16(6, 2, little);
    element.set([0x4f, 0x54], 8); // "OT"
  }
  const out = new Uint8Array(bytes.length + element.length);
  out.set(bytes, 0);
  out.set(element, bytes.length);
  return out;
}
