/**
 * The one DICOM reader: recognises DICOM content, parses the data set (Part 10 with meta header, a meta header
 * without preamble, or a raw data set without one) with dicom-parser, and reads the attributes the image pipeline,
 * the import and the viewer need, honouring Specific Character Set. Used by the main process's imaging service
 * (decode, import checks) and by the renderer's viewer; no Node or DOM APIs here (the deflate inflater is passed in).
 * What each of them accepts: ./supported-input.ts; pixel data of one frame: ./pixel-frames.ts.
 */
import dicomParser from "dicom-parser";
import { describeThrown, ImagingError } from "./errors";
import type {
  ImageMetadata,
  LookupTable,
  ModalityTransform,
  PixelSpacing,
  StudyRequest,
  ViewCode,
  VoiCandidates,
  WindowFunction,
  WindowSetting,
} from "./image-types";
import { checkSupportedImage } from "./supported-input";
import {
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  type ImagingConsumer,
  type TransferSyntax,
  transferSyntax,
  transferSyntaxProblem,
} from "./transfer-syntaxes";

type DataSet = dicomParser.DataSet;
type Element = dicomParser.Element;

// ---------------------------------------------------------------------------------------------------------------
// Recognising DICOM, PNG and JPEG content

const DICOM_VRS = new Set(
  "AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split(" "),
);
const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

export type DicomSniff =
  | { readonly kind: "part10" }
  /** A data set without preamble and meta header; starts at byte 0. */
  | { readonly kind: "raw"; readonly transferSyntaxUid: string }
  /** A meta header without the 128-byte preamble and "DICM" prefix. */
  | { readonly kind: "meta-without-preamble" };

/**
 * Recognises DICOM by content: "DICM" at offset 128, or a plausible first element of group 0002 / 0008.
 * `totalLength`: the whole file's length when `bytes` is only its head.
 */
export function sniffDicom(bytes: Uint8Array, totalLength = bytes.length): DicomSniff | null {
  if (bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d) {
    return { kind: "part10" };
  }
  if (bytes.length < 16) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const group = view.getUint16(0, true);
  const element = view.getUint16(2, true);
  if (group !== 0x0002 && group !== 0x0008) return null;
  if (element > 0x1fff) return null;
  const vr = String.fromCharCode(bytes[4] as number, bytes[5] as number);
  const explicit = DICOM_VRS.has(vr);
  if (group === 0x0002) return explicit ? { kind: "meta-without-preamble" } : null;
  if (explicit) {
    const length = LONG_VRS.has(vr) ? view.getUint32(8, true) : view.getUint16(6, true);
    if (length !== 0xffffffff && length > totalLength) return null;
    return { kind: "raw", transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN };
  }
  const length = view.getUint32(4, true);
  if (length !== 0xffffffff && length > totalLength - 8) return null;
  return { kind: "raw", transferSyntaxUid: IMPLICIT_VR_LITTLE_ENDIAN };
}

export type ImageFileFormat = "dicom" | "png" | "jpeg";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format of an image file by its content (never its name): DICOM, PNG, JPEG, or null for anything else. */
export function sniffImageFormat(bytes: Uint8Array, totalLength = bytes.length): ImageFileFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return sniffDicom(bytes, totalLength) ? "dicom" : null;
}

/** How many leading bytes sniffImageFormat needs. */
export const SNIFF_BYTES = 132;

// ---------------------------------------------------------------------------------------------------------------
// Parsing

export interface ParsedDicom {
  readonly dataSet: DataSet;
  readonly transferSyntax: TransferSyntax;
  /** False for raw data sets (no meta header): the transfer syntax was inferred from the encoding. */
  readonly hasMetaHeader: boolean;
}

/**
 * Inflates raw deflate (Deflated Explicit VR Little Endian) synchronously, to at most `maxBytes` bytes; throws
 * ImagingError TOO_LARGE past the limit and CORRUPT_DICOM for a broken stream. The main process passes node:zlib's;
 * the renderer inflates before parsing (DecompressionStream is asynchronous) and passes none.
 */
export type RawInflater = (deflated: Uint8Array, maxBytes: number, path: string) => Uint8Array;

export interface ParseOptions {
  /** Who will use the data set: its transfer syntax must be one that consumer accepts (default "engine"). */
  readonly consumer?: ImagingConsumer;
  /** Maximum size of an inflated (deflate transfer syntax) data set. */
  readonly maxInflatedBytes?: number;
  readonly inflateRaw?: RawInflater;
}

const DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10";

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parses a DICOM file in memory. Throws ImagingError naming `path` and the problem. */
export function parseDicom(bytes: Uint8Array, path: string, options: ParseOptions = {}): ParsedDicom {
  const sniff = sniffDicom(bytes);
  if (!sniff) {
    throw new ImagingError(
      "NOT_DICOM",
      path,
      'the file is not DICOM (no "DICM" prefix at byte 128 and no recognisable data set) and not a PNG or JPEG image',
    );
  }
  const maxInflated = options.maxInflatedBytes ?? 1024 * 1024 * 1024;
  const input =
    sniff.kind === "meta-without-preamble"
      ? concat([new Uint8Array(128), Uint8Array.of(0x44, 0x49, 0x43, 0x4d), bytes])
      : bytes;
  const inflater = (array: Uint8Array, position: number): Uint8Array => {
    if (!options.inflateRaw) {
      throw new ImagingError("CORRUPT_DICOM", path, "the deflated data set must be inflated before it is parsed here");
    }
    const inflated = options.inflateRaw(array.subarray(position), Math.max(1, maxInflated - position), path);
    return concat([array.subarray(0, position), inflated]);
  };
  const parseOptions: dicomParser.ParseDicomOptions = {
    // The typings declare the inflater as returning void; dicom-parser uses its return value as the data set bytes.
    inflater: inflater as unknown as NonNullable<dicomParser.ParseDicomOptions["inflater"]>,
  };
  if (sniff.kind === "raw") parseOptions.TransferSyntaxUID = sniff.transferSyntaxUid;

  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(input, parseOptions);
  } catch (thrown) {
    if (thrown instanceof ImagingError) throw thrown;
    const partial = (thrown as { dataSet?: DataSet } | null)?.dataSet;
    if (partial?.elements.x7fe00010) {
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        path,
        `the pixel data is truncated or malformed (${describeThrown(thrown)})`,
      );
    }
    if (sniff.kind === "raw") {
      throw new ImagingError("NOT_DICOM", path, `the file is not DICOM, PNG or JPEG (${describeThrown(thrown)})`);
    }
    throw new ImagingError(
      "CORRUPT_DICOM",
      path,
      `the DICOM data set cannot be parsed (${describeThrown(thrown)}); the file is truncated or corrupt`,
    );
  }
  if (sniff.kind === "raw" && !["x00080016", "x00080018", "x0020000d"].some((tag) => dataSet.elements[tag])) {
    throw new ImagingError(
      "NOT_DICOM",
      path,
      "the file is not DICOM, PNG or JPEG (no preamble, and no SOP Class, SOP Instance or Study Instance UID)",
    );
  }

  // dicom-parser reads to the end of the bytes and only warns: an undefined-length element (encapsulated pixel data,
  // a sequence) without its delimiter, or an element that runs past the end, means the file is truncated.
  const cut = (dataSet.warnings ?? []).find((w) => /missing sequence delimiter|eof encountered/i.test(w));
  if (cut) {
    throw new ImagingError(
      /x7fe00010/.test(cut) ? "CORRUPT_PIXEL_DATA" : "CORRUPT_DICOM",
      path,
      `the file is truncated: it ends inside ${/x7fe00010/.test(cut) ? "the encapsulated pixel data, before its sequence delimiter" : "a sequence, before its delimiter"}`,
    );
  }
  for (const element of Object.values(dataSet.elements)) {
    if (element.tag === "x7fe00010") continue; // checked per frame, with a more precise message
    if (element.dataOffset + element.length > dataSet.byteArray.length) {
      throw new ImagingError(
        "CORRUPT_DICOM",
        path,
        `the file is truncated: element (${element.tag.slice(1, 5)},${element.tag.slice(5)}) needs ${element.length} bytes but the file ends ${dataSet.byteArray.length - element.dataOffset} bytes after its start`,
      );
    }
  }

  const uid = sniff.kind === "raw" ? sniff.transferSyntaxUid : (dataSet.string("x00020010") ?? "").replace(/\0/g, "");
  if (!uid) {
    throw new ImagingError("CORRUPT_DICOM", path, "the meta header has no Transfer Syntax UID (0002,0010)");
  }
  const problem = transferSyntaxProblem(uid, options.consumer ?? "engine");
  const info = transferSyntax(uid);
  if (problem || !info) throw new ImagingError("UNSUPPORTED_TRANSFER_SYNTAX", path, problem ?? uid);
  const sopClass = (dataSet.string("x00020002") ?? dataSet.string("x00080016") ?? "").replace(/\0/g, "").trim();
  if (sopClass === DICOMDIR_SOP_CLASS) {
    throw new ImagingError(
      "MISSING_ATTRIBUTE",
      path,
      "the file is a DICOMDIR (a media index), not an image: import its folder instead",
    );
  }
  return { dataSet, transferSyntax: info, hasMetaHeader: sniff.kind !== "raw" };
}

// ---------------------------------------------------------------------------------------------------------------
// Attribute access

const CHARSET_LABELS: Record<string, string> = {
  "ISO_IR 6": "latin1",
  "ISO_IR 100": "latin1",
  "ISO_IR 101": "iso-8859-2",
  "ISO_IR 109": "iso-8859-3",
  "ISO_IR 110": "iso-8859-4",
  "ISO_IR 144": "iso-8859-5",
  "ISO_IR 127": "iso-8859-6",
  "ISO_IR 126": "iso-8859-7",
  "ISO_IR 138": "iso-8859-8",
  "ISO_IR 148": "iso-8859-9",
  "ISO_IR 166": "windows-874",
  "ISO_IR 192": "utf-8",
  GB18030: "gb18030",
  GBK: "gbk",
  "ISO 2022 IR 6": "latin1",
  "ISO 2022 IR 100": "latin1",
};

/** Reads text attributes, honouring Specific Character Set (0008,0005) for the single-byte and UTF-8 sets. */
export class AttributeReader {
  private readonly decoder: InstanceType<typeof TextDecoder>;

  constructor(private readonly ds: DataSet) {
    const terms = (ds.string("x00080005") ?? "")
      .split("\\")
      .map((s) => s.trim())
      .filter(Boolean);
    // With several terms (ISO 2022 code extensions) the last non-default one is the best single guess.
    const term = terms.length ? terms[terms.length - 1] : undefined;
    const label = (term && CHARSET_LABELS[term]) || "latin1";
    let decoder: InstanceType<typeof TextDecoder>;
    try {
      decoder = new TextDecoder(label);
    } catch {
      decoder = new TextDecoder("latin1");
    }
    this.decoder = decoder;
  }

  element(tag: string): Element | undefined {
    return this.ds.elements[tag];
  }

  /** The whole text value (all values joined by "\"), trimmed; null when absent or empty. */
  text(tag: string): string | null {
    const el = this.ds.elements[tag];
    if (!el || el.length <= 0) return null;
    const end = Math.min(el.dataOffset + el.length, this.ds.byteArray.length);
    if (el.dataOffset >= end) return null;
    const raw = this.decoder.decode(this.ds.byteArray.subarray(el.dataOffset, end));
    const value = raw.replace(/[\0\s]+$/u, "").replace(/^\s+/u, "");
    return value.length ? value : null;
  }

  /** The first value of a (possibly multi-valued) text attribute. */
  first(tag: string): string | null {
    const value = this.text(tag);
    if (value === null) return null;
    const first = value.split("\\")[0]?.trim() ?? "";
    return first.length ? first : null;
  }

  values(tag: string): string[] {
    const value = this.text(tag);
    if (value === null) return [];
    return value.split("\\").map((v) => v.trim());
  }

  /** Numbers of a DS / IS attribute; NaN where a value is not a number. */
  numbers(tag: string): number[] {
    return this.values(tag).map((v) => (v === "" ? Number.NaN : Number(v)));
  }

  number(tag: string): number | null {
    const [value] = this.numbers(tag);
    return value === undefined || !Number.isFinite(value) ? null : value;
  }

  uint16(tag: string): number | null {
    const el = this.ds.elements[tag];
    if (!el || el.length < 2 || el.dataOffset + 2 > this.ds.byteArray.length) return null;
    return this.ds.uint16(tag) ?? null;
  }

  /** A US-or-SS value (Pixel Padding Value, LUT Descriptor's first value): signed when the VR or the data say so. */
  usOrSs(tag: string, signed: boolean, index = 0): number | null {
    const el = this.ds.elements[tag];
    if (!el || el.length < 2 * (index + 1) || el.dataOffset + 2 * (index + 1) > this.ds.byteArray.length) return null;
    const raw = this.ds.uint16(tag, index);
    if (raw === undefined) return null;
    const isSigned = el.vr === "SS" || (el.vr !== "US" && signed);
    return isSigned && raw > 0x7fff ? raw - 0x10000 : raw;
  }

  sequenceItems(tag: string): DataSet[] {
    const el = this.ds.elements[tag];
    return (el?.items ?? []).map((item) => item.dataSet).filter((d): d is DataSet => d !== undefined);
  }
}

/** Whose the data set is: the patient's identifiers and name, text decoded in the data set's character set. */
export interface PatientIdentity {
  /** Patient ID (0010,0020). */
  readonly patientId: string | null;
  /** Issuer of Patient ID (0010,0021): the authority that assigned the Patient ID. */
  readonly issuerOfPatientId: string | null;
  /** Patient's Name (0010,0010), as written (PN components separated by "^"). */
  readonly patientName: string | null;
}

export function readPatientIdentity(attrs: AttributeReader): PatientIdentity {
  return {
    patientId: attrs.first("x00100020"),
    issuerOfPatientId: attrs.first("x00100021"),
    patientName: attrs.text("x00100010"),
  };
}

/** The order's text attributes, top level first, then each Request Attributes Sequence (0040,0275) item. */
function readStudyRequest(attrs: AttributeReader): StudyRequest {
  const readers = [attrs, ...attrs.sequenceItems("x00400275").map((item) => new AttributeReader(item))];
  const pick = (tag: string): string[] => [
    ...new Set(readers.flatMap((r) => r.values(tag)).filter((v) => v.length > 0)),
  ];
  return {
    reasonForRequestedProcedure: pick("x00401002"),
    reasonForStudy: pick("x00321030"),
    admittingDiagnoses: pick("x00081080"),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Image description

export interface DicomImageDescription {
  readonly rows: number;
  readonly columns: number;
  readonly numberOfFrames: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  readonly pixelRepresentation: 0 | 1;
  readonly planarConfiguration: number;
  readonly photometric: string;
  /** Which element holds the pixels: Pixel Data, or Float / Double Float Pixel Data. */
  readonly pixelDataTag: "x7fe00010" | "x7fe00008" | "x7fe00009";
  /** The Pixel Data element's VR as encoded (OB / OW; "" for implicit VR). */
  readonly pixelDataVr: string;
  readonly encapsulated: boolean;
}

/**
 * The image's pixel description as the file states it. Throws only when it cannot be read at all (no pixel data,
 * no Rows / Columns / Bits Allocated); whether a reader accepts it is ./supported-input.ts's decision.
 */
export function describeImage(ds: DataSet, attrs: AttributeReader, path: string): DicomImageDescription {
  const pixelDataTag = ds.elements.x7fe00010
    ? "x7fe00010"
    : ds.elements.x7fe00008
      ? "x7fe00008"
      : ds.elements.x7fe00009
        ? "x7fe00009"
        : null;
  if (!pixelDataTag) {
    throw new ImagingError(
      "MISSING_ATTRIBUTE",
      path,
      "the DICOM file has no Pixel Data (7FE0,0010): it is not an image, or it is truncated before its pixels",
    );
  }
  const pixelData = ds.elements[pixelDataTag] as Element;
  const rows = attrs.uint16("x00280010");
  const columns = attrs.uint16("x00280011");
  if (!rows || !columns) {
    throw new ImagingError(
      "MISSING_ATTRIBUTE",
      path,
      `the image has no valid Rows (0028,0010) / Columns (0028,0011): ${rows ?? "missing"} x ${columns ?? "missing"}`,
    );
  }
  const bitsAllocated = attrs.uint16("x00280100");
  if (!bitsAllocated) throw new ImagingError("MISSING_ATTRIBUTE", path, "Bits Allocated (0028,0100) is missing");
  const bitsStored = attrs.uint16("x00280101") ?? bitsAllocated;
  let highBit = attrs.uint16("x00280102") ?? bitsStored - 1;
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated) highBit = bitsStored - 1;
  const samplesPerPixel = attrs.uint16("x00280002") ?? 1;
  const declared = attrs.first("x00280004")?.toUpperCase().replace(/\s+/g, " ");
  const photometric = declared ?? (samplesPerPixel === 1 ? "MONOCHROME2" : "RGB");
  return {
    rows,
    columns,
    numberOfFrames: Math.max(1, Math.trunc(attrs.number("x00280008") ?? 1)),
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: attrs.uint16("x00280103") === 1 ? 1 : 0,
    planarConfiguration: attrs.uint16("x00280006") === 1 ? 1 : 0,
    photometric,
    pixelDataTag,
    pixelDataVr: pixelData.vr ?? "",
    encapsulated: pixelData.encapsulatedPixelData === true,
  };
}

/** Parses, describes and checks a DICOM image for one consumer: everything a reader needs before the pixels. */
export function readDicomImage(
  bytes: Uint8Array,
  path: string,
  options: ParseOptions & { readonly consumer: ImagingConsumer },
): { parsed: ParsedDicom; attrs: AttributeReader; image: DicomImageDescription } {
  const parsed = parseDicom(bytes, path, options);
  const attrs = new AttributeReader(parsed.dataSet);
  const image = describeImage(parsed.dataSet, attrs, path);
  checkSupportedImage(image, parsed.transferSyntax, options.consumer, path);
  return { parsed, attrs, image };
}

function readLut(item: DataSet, signed: boolean): LookupTable | null {
  const attrs = new AttributeReader(item);
  const count = attrs.usOrSs("x00283002", false, 0);
  const firstMapped = attrs.usOrSs("x00283002", signed, 1);
  const bits = attrs.usOrSs("x00283002", false, 2);
  const data = item.elements.x00283006;
  if (count === null || firstMapped === null || bits === null || !data) return null;
  const n = count === 0 ? 65536 : count;
  const available = Math.min(data.length, item.byteArray.length - data.dataOffset);
  const entries = new Uint16Array(n);
  if (available >= 2 * n) {
    for (let i = 0; i < n; i++) entries[i] = item.byteArrayParser.readUint16(item.byteArray, data.dataOffset + 2 * i);
  } else if (bits <= 8 && available >= n) {
    // 8-bit entries packed into bytes.
    for (let i = 0; i < n; i++) entries[i] = item.byteArray[data.dataOffset + i] ?? 0;
  } else {
    return null;
  }
  return { firstMapped, bitsPerEntry: bits, entries, explanation: attrs.text("x00283003") };
}

const WINDOW_FUNCTIONS: readonly WindowFunction[] = ["LINEAR", "LINEAR_EXACT", "SIGMOID"];

function readWindows(attrs: AttributeReader): WindowSetting[] {
  const centers = attrs.numbers("x00281050");
  const widths = attrs.numbers("x00281051");
  const explanations = attrs.values("x00281055");
  const fnText = attrs.first("x00281056")?.toUpperCase();
  const fn: WindowFunction = WINDOW_FUNCTIONS.find((f) => f === fnText) ?? "LINEAR";
  const windows: WindowSetting[] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    windows.push({
      center: centers[i] as number,
      width: widths[i] as number,
      function: fn,
      explanation: explanations[i] || null,
    });
  }
  return windows;
}

function readPixelSpacing(attrs: AttributeReader): PixelSpacing | null {
  for (const [tag, source] of [
    ["x00280030", "PixelSpacing"],
    ["x00181164", "ImagerPixelSpacing"],
  ] as const) {
    const [row, column] = attrs.numbers(tag);
    if (row !== undefined && column !== undefined && row > 0 && column > 0) return { row, column, source };
  }
  return null;
}

export interface DicomPipelineSetup {
  readonly metadata: ImageMetadata;
  readonly image: DicomImageDescription;
  readonly modality: ModalityTransform;
  readonly voi: Omit<VoiCandidates, "user">;
  readonly padding: { readonly value: number; readonly rangeLimit: number | null } | null;
  readonly invert: boolean;
}

/** Reads everything the pipeline and the UI need from the data set. */
export function readDicomSetup(parsed: ParsedDicom, path: string, frame: number): DicomPipelineSetup {
  const ds = parsed.dataSet;
  const attrs = new AttributeReader(ds);
  const image = describeImage(ds, attrs, path);
  checkSupportedImage(image, parsed.transferSyntax, "engine", path);
  if (frame >= image.numberOfFrames) {
    throw new ImagingError(
      "FRAME_OUT_OF_RANGE",
      path,
      `frame ${frame} was requested but the file has ${image.numberOfFrames} frame(s)`,
    );
  }
  const grayscale = image.samplesPerPixel === 1;
  const signed = image.pixelRepresentation === 1;

  const slopeValue = attrs.number("x00281053");
  const interceptValue = attrs.number("x00281052");
  const slope = slopeValue === null || slopeValue === 0 ? 1 : slopeValue;
  const intercept = interceptValue ?? 0;
  const modalityLut = grayscale && slopeValue === null ? attrs.sequenceItems("x00283000")[0] : undefined;
  const modalityTable = modalityLut ? readLut(modalityLut, signed) : null;
  const modality: ModalityTransform =
    !grayscale || !modalityTable
      ? { kind: "rescale", slope: grayscale ? slope : 1, intercept: grayscale ? intercept : 0 }
      : { kind: "lut", lut: modalityTable };

  const voiLutItem = grayscale ? attrs.sequenceItems("x00283010")[0] : undefined;
  // VOI LUT input is the modality output, which is signed whenever stored values or the rescale can be negative.
  const voiLut = voiLutItem ? (readLut(voiLutItem, signed || intercept < 0) ?? undefined) : undefined;
  const windows = grayscale ? readWindows(attrs) : [];
  const identityModality = modality.kind === "rescale" && modality.slope === 1 && modality.intercept === 0;
  const identityWhenNoVoi = image.bitsStored <= 8 && !signed && identityModality;

  const paddingValue = grayscale ? attrs.usOrSs("x00280120", signed) : null;
  const padding = paddingValue === null ? null : { value: paddingValue, rangeLimit: attrs.usOrSs("x00280121", signed) };

  const viewCodes: ViewCode[] = attrs.sequenceItems("x00540220").map((item) => {
    const a = new AttributeReader(item);
    return { value: a.first("x00080100"), scheme: a.first("x00080102"), meaning: a.text("x00080104") };
  });
  const orientation = attrs.values("x00200020").filter(Boolean);
  const ts = parsed.transferSyntax;
  const identity = readPatientIdentity(attrs);

  const metadata: ImageMetadata = {
    sourcePath: path,
    format: "dicom",
    width: image.columns,
    height: image.rows,
    numberOfFrames: image.numberOfFrames,
    frame,
    samplesPerPixel: image.samplesPerPixel,
    bitsAllocated: image.bitsAllocated,
    bitsStored: image.bitsStored,
    pixelRepresentation: image.pixelRepresentation,
    photometric: image.photometric,
    inverted: image.photometric === "MONOCHROME1",
    transferSyntaxUid: ts.uid,
    transferSyntaxName: ts.name,
    lossyCompressed: ts.lossy || attrs.first("x00282110") === "01",
    rescale: {
      slope: modality.kind === "rescale" ? modality.slope : 1,
      intercept: modality.kind === "rescale" ? modality.intercept : 0,
      type: attrs.first("x00281054"),
    },
    modalityLutApplied: modality.kind === "lut",
    windows,
    hasVoiLut: voiLut !== undefined,
    pixelPadding: padding,
    pixelSpacing: readPixelSpacing(attrs),
    patientName: identity.patientName,
    patientId: identity.patientId,
    studyInstanceUid: attrs.first("x0020000d"),
    seriesInstanceUid: attrs.first("x0020000e"),
    sopInstanceUid: attrs.first("x00080018"),
    sopClassUid: attrs.first("x00080016"),
    studyDate: attrs.first("x00080020"),
    studyDescription: attrs.text("x00081030"),
    institutionName: attrs.text("x00080080"),
    accessionNumber: attrs.first("x00080050"),
    referringPhysicianName: attrs.text("x00080090"),
    modality: attrs.first("x00080060"),
    viewPosition: attrs.first("x00185101"),
    imageLaterality: attrs.first("x00200062"),
    laterality: attrs.first("x00200060"),
    bodyPartExamined: attrs.first("x00180015"),
    seriesDescription: attrs.text("x0008103e"),
    protocolName: attrs.text("x00181030"),
    imageComments: attrs.text("x00204000"),
    patientOrientation: orientation.length ? orientation : null,
    viewCodes,
    request: readStudyRequest(attrs),
  };
  return {
    metadata,
    image,
    modality,
    voi: { lut: voiLut, fileWindows: windows, identityWhenNoVoi },
    padding,
    invert: image.photometric === "MONOCHROME1",
  };
}
