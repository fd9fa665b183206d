/**
 * Makes every supported DICOM file readable by cornerstone-wado-image-loader 4.13 before it parses the bytes (its
 * `beforeProcessing` hook), without changing a pixel value:
 * - a raw data set without the Part 10 header (no preamble / "DICM"): read as Implicit VR Little Endian (the
 *   default transfer syntax, PS3.5 10.1) and given a File Meta Information header;
 * - Deflated Explicit VR Little Endian: the data set after the meta header is raw deflate; it is inflated and the
 *   meta header's transfer syntax becomes Explicit VR Little Endian, which is what the inflated bytes are (the
 *   loader's dicom-parser would inflate with Node's zlib, which a browser does not have);
 * - compressed (encapsulated) pixel data: decoded in a worker with dcmjs-codecs and written as Explicit VR Little
 *   Endian (./transcoder.ts), because the loader's own codecs cannot run under the renderer's CSP.
 */
import dicomParser from "dicom-parser";
import {
  asciiValue,
  codecFor,
  DEFLATED_LE,
  EXPLICIT_LE,
  IMPLICIT_LE,
  isPart10,
  readMeta,
  textValue,
  writePart10,
} from "./dicom-part10";

async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (bytes.buffer as ArrayBuffer)
    : (bytes.slice().buffer as ArrayBuffer);
}

/** Returns bytes the wado image loader can parse and decode without codecs. */
export async function normalizeDicomBytes(buffer: ArrayBuffer): Promise<ArrayBuffer> {
  let bytes: Uint8Array = new Uint8Array(buffer);
  if (!isPart10(bytes)) {
    const ds = dicomParser.parseDicom(bytes, { TransferSyntaxUID: IMPLICIT_LE });
    return toArrayBuffer(
      writePart10(
        [
          { element: 0x0001, vr: "OB", value: new Uint8Array([0, 1]) },
          { element: 0x0002, vr: "UI", value: textValue(ds.string("x00080016") ?? "") },
          { element: 0x0003, vr: "UI", value: textValue(ds.string("x00080018") ?? "") },
          { element: 0x0010, vr: "UI", value: textValue(IMPLICIT_LE) },
        ],
        [bytes],
      ),
    );
  }
  const { elements, end } = readMeta(bytes);
  const ts = elements.find((m) => m.element === 0x0010);
  const uid = ts ? asciiValue(ts.value) : "";
  if (uid === DEFLATED_LE && ts) {
    const inflated = await inflateRaw(bytes.subarray(end));
    bytes = writePart10(
      elements.map((m) => (m === ts ? { ...m, value: textValue(EXPLICIT_LE) } : m)),
      [inflated],
    );
    return toArrayBuffer(bytes);
  }
  if (codecFor(uid)) {
    const { transcode } = await import("./transcoder");
    return toArrayBuffer(await transcode(bytes));
  }
  return buffer;
}
