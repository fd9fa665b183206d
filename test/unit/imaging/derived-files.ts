/**
 * DICOM files derived from the shared real data for the imaging, import and viewer tests: a sample of every
 * transfer syntax the table says is decoded (the shared files, plus HTJ2K and JPEG XL transcoded with dcmjs-codecs),
 * inputs the import must refuse (palette colour, 1-bit, float, 32-bit, uncompressed YBR_FULL_422), a JPEG-LS RGB file
 * without preamble (dcmtk: img2dcm, dcmdjpeg, dcmcjpls from a real chest JPEG), and compressed files whose stream is
 * truncated or damaged inside a well-formed DICOM container. Nothing here is committed: it is made at test time.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type * as DcmjsCodecs from "dcmjs-codecs";
import dicomParser from "dicom-parser";
import { ensureCodecs } from "../../../src-main/services/imaging/native-codecs";
import { buildDicom, colourDataset, crChestDataset, DICOM_DIR, IMAGES_DIR } from "./imaging-fixtures";

/** The shared file that carries each transfer syntax. */
export const SHARED_SYNTAX_SAMPLES: Readonly<Record<string, string>> = {
  "1.2.840.10008.1.2": "CR-MONO1-10-chest_implicitLE.dcm",
  "1.2.840.10008.1.2.1": "CR-MONO1-10-chest_explicitLE.dcm",
  "1.2.840.10008.1.2.1.99": "derived_CRchest_deflatedLE.dcm",
  "1.2.840.10008.1.2.2": "derived_CRchest_explicitBE.dcm",
  "1.2.840.10008.1.2.5": "derived_CRchest_RLE.dcm",
  "1.2.840.10008.1.2.4.50": "SIIM_CR_chest_JPEGBaseline.dcm",
  "1.2.840.10008.1.2.4.51": "derived_CRchest_JPEGExtended12_lossy.dcm",
  "1.2.840.10008.1.2.4.57": "derived_CRchest_JPEGLossless_p14.dcm",
  "1.2.840.10008.1.2.4.70": "derived_CRchest_JPEGLosslessSV1.dcm",
  "1.2.840.10008.1.2.4.80": "derived_CRchest_JPEGLS_lossless.dcm",
  "1.2.840.10008.1.2.4.81": "derived_CRchest_JPEGLS_nearlossless.dcm",
  "1.2.840.10008.1.2.4.90": "derived_CRchest_J2K_lossless.dcm",
  "1.2.840.10008.1.2.4.91": "RG1_CR_chest_J2KI.dcm",
};

/** Syntaxes without a shared sample: the CR chest transcoded here with dcmjs-codecs' encoders. */
export const TRANSCODED_SYNTAXES = [
  "1.2.840.10008.1.2.4.201",
  "1.2.840.10008.1.2.4.202",
  "1.2.840.10008.1.2.4.203",
  "1.2.840.10008.1.2.4.110",
  "1.2.840.10008.1.2.4.112",
] as const;

/** A sample file for each decodable syntax, written to `dir` where it has to be derived. */
export async function syntaxSamples(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [uid, name] of Object.entries(SHARED_SYNTAX_SAMPLES)) out.set(uid, path.join(DICOM_DIR, name));
  const codecs = (await ensureCodecs("transcode")) as unknown as typeof DcmjsCodecs;
  // The CR chest's real stored values in a clean data set (dcmjs refuses the original's ACR-NEMA style dates).
  const source = buildDicom(
    crChestDataset({
      BitsStored: 10,
      HighBit: 9,
      PhotometricInterpretation: "MONOCHROME1",
      PatientID: "DERIVED-1",
      PatientName: "Derived^Syntaxes",
      StudyInstanceUID: "2.25.31415926535897932384",
    }),
  );
  for (const uid of TRANSCODED_SYNTAXES) {
    const transcoder = new codecs.Transcoder(Uint8Array.from(source).buffer);
    transcoder.transcode(uid);
    transcoder.getElements().SOPInstanceUID = `2.25.2718281828${TRANSCODED_SYNTAXES.indexOf(uid)}`;
    const file = path.join(dir, `derived_CRchest_${uid}.dcm`);
    fs.writeFileSync(file, new Uint8Array(transcoder.getDicomPart10()));
    out.set(uid, file);
  }
  return out;
}

function run(tool: string, args: string[]): void {
  execFileSync(tool, args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** A real chest JPEG as JPEG-LS lossless RGB DICOM, written without the 128-byte preamble and "DICM". */
export function jpegLsRgbWithoutPreamble(dir: string): string {
  const jpeg = path.join(IMAGES_DIR, "covid", "41182_2020_203_Fig3_HTML.jpg");
  const wrapped = path.join(dir, "rgb-jpeg.dcm");
  const native = path.join(dir, "rgb-native.dcm");
  const jpls = path.join(dir, "rgb-jpegls.dcm");
  run("img2dcm", [jpeg, wrapped]);
  run("dcmdjpeg", [wrapped, native]);
  run("dcmcjpls", [native, jpls]);
  const out = path.join(dir, "rgb-jpegls-no-preamble.dcm");
  fs.writeFileSync(out, fs.readFileSync(jpls).subarray(132));
  return out;
}

/** A copy of a shared file with other header values (dcmtk's dcmodify). */
export function modifiedCopy(dir: string, source: string, name: string, values: Record<string, string>): string {
  const out = path.join(dir, name);
  fs.copyFileSync(source, out);
  run("dcmodify", ["-nb", ...Object.entries(values).flatMap(([tag, value]) => ["-i", `${tag}=${value}`]), out]);
  return out;
}

/** Inputs a decoder could read but the import must refuse, each with the words its reason must contain. */
export function unsupportedInputs(dir: string): Array<{ file: string; reason: RegExp }> {
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const grey = crChestDataset();
  const rows = grey.Rows as number;
  const columns = grey.Columns as number;
  return [
    {
      file: write(
        "palette.dcm",
        buildDicom(
          crChestDataset({
            PhotometricInterpretation: "PALETTE COLOR",
            BitsStored: 16,
            RedPaletteColorLookupTableDescriptor: [256, 0, 16],
            GreenPaletteColorLookupTableDescriptor: [256, 0, 16],
            BluePaletteColorLookupTableDescriptor: [256, 0, 16],
            _vrMap: {
              RedPaletteColorLookupTableDescriptor: "US",
              GreenPaletteColorLookupTableDescriptor: "US",
              BluePaletteColorLookupTableDescriptor: "US",
            },
          }),
        ),
      ),
      reason: /PALETTE COLOR/,
    },
    {
      file: write(
        "one-bit.dcm",
        buildDicom({
          Rows: 8,
          Columns: 8,
          BitsAllocated: 1,
          BitsStored: 1,
          HighBit: 0,
          PixelRepresentation: 0,
          SamplesPerPixel: 1,
          PhotometricInterpretation: "MONOCHROME2",
          PixelData: new Uint8Array(8).buffer,
          _vrMap: { PixelData: "OB" },
        }),
      ),
      reason: /1-bit/,
    },
    {
      file: write(
        "float.dcm",
        buildDicom({
          Rows: rows,
          Columns: columns,
          BitsAllocated: 32,
          SamplesPerPixel: 1,
          PhotometricInterpretation: "MONOCHROME2",
          FloatPixelData: new Float32Array(rows * columns).buffer,
        }),
      ),
      reason: /float pixel data/,
    },
    {
      file: write("thirty-two-bit.dcm", thirtyTwoBitDicom(0).bytes),
      reason: /8- and 16-bit/,
    },
    {
      file: write(
        "ybr422-native.dcm",
        buildDicom(colourDataset(8, 8, "YBR_FULL_422", new Uint8Array(8 * 8 * 2).buffer)),
      ),
      reason: /YBR_FULL_422/,
    },
  ];
}

/**
 * A 32-bit unsigned image (the CR chest's values times 65537, so the high bytes matter) whose Pixel Data value
 * starts at `mod4` modulo 4 (an Image Comments element of the right length in front moves it).
 */
export function thirtyTwoBitDicom(mod4: 0 | 2): { bytes: Buffer; values: Uint32Array; offset: number } {
  const base = crChestDataset();
  const stored = new Uint16Array(base.PixelData as ArrayBuffer);
  const values = new Uint32Array(stored.length);
  for (let i = 0; i < stored.length; i++) values[i] = (stored[i] as number) * 65537;
  for (let pad = 0; pad < 8; pad += 2) {
    const bytes = buildDicom({
      ...base,
      BitsAllocated: 32,
      BitsStored: 32,
      HighBit: 31,
      ImageComments: "x".repeat(2 + pad),
      PixelData: values.buffer,
      _vrMap: { PixelData: "OW" },
    });
    const offset = (dicomParser.parseDicom(bytes).elements.x7fe00010 as dicomParser.Element).dataOffset;
    if (offset % 4 === mod4) return { bytes, values, offset };
  }
  throw new Error(`could not place the pixel data at offset ${mod4} mod 4`);
}

/** The pixel data element of a single-frame encapsulated file: where its items start, its Basic Offset Table. */
function encapsulation(bytes: Uint8Array): { itemsStart: number; botEnd: number; frame: Uint8Array } {
  const ds = dicomParser.parseDicom(bytes);
  const pixel = ds.elements.x7fe00010 as dicomParser.Element;
  if (!pixel.encapsulatedPixelData) throw new Error("not encapsulated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const itemsStart = pixel.dataOffset;
  const botEnd = itemsStart + 8 + view.getUint32(itemsStart + 4, true);
  const frame = dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixel, 0, pixel.fragments?.length ?? 1);
  return { itemsStart, botEnd, frame };
}

/**
 * The file with its one frame replaced by `frame` in a well-formed container: the data set up to the pixel data and
 * its Basic Offset Table kept, one fragment (padded to even length), the sequence delimiter; nothing after it.
 */
export function withFrame(bytes: Uint8Array, frame: Uint8Array): Buffer {
  const { botEnd } = encapsulation(bytes);
  const padded = frame.length + (frame.length % 2);
  const item = Buffer.alloc(8 + padded);
  item.writeUInt16LE(0xfffe, 0);
  item.writeUInt16LE(0xe000, 2);
  item.writeUInt32LE(padded, 4);
  item.set(frame, 8);
  const end = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([Buffer.from(bytes.subarray(0, botEnd)), item, end]);
}

/** The single compressed frame of a file. */
export function frameOf(bytes: Uint8Array): Uint8Array {
  return encapsulation(bytes).frame;
}

export interface DamagedFile {
  readonly name: string;
  readonly bytes: Buffer;
  /** What the refusal must say. */
  readonly problem: RegExp;
  readonly source: string;
}

/** Every shared compressed file with its codestream cut at `fraction` of its length, inside an intact container. */
export function truncatedStreams(fraction: number): DamagedFile[] {
  const out: DamagedFile[] = [];
  for (const file of fs.readdirSync(DICOM_DIR).sort()) {
    const bytes = fs.readFileSync(path.join(DICOM_DIR, file));
    let frame: Uint8Array;
    try {
      frame = frameOf(bytes);
    } catch {
      continue; // native pixel data
    }
    const cut = frame.subarray(0, Math.floor(frame.length * fraction));
    out.push({
      name: `${file} stream cut to ${cut.length} of ${frame.length} bytes`,
      bytes: withFrame(bytes, cut),
      problem: /EOI|EOC|RLE segment|truncated/,
      source: file,
    });
  }
  return out;
}

/** The RLE file with its second segment's offset past the end of the frame (the container intact). */
export function rleTablePastEnd(): DamagedFile {
  const rle = fs.readFileSync(path.join(DICOM_DIR, "derived_CRchest_RLE.dcm"));
  const frame = Uint8Array.from(frameOf(rle));
  new DataView(frame.buffer).setUint32(8, frame.length + 4096, true);
  return {
    name: "derived_CRchest_RLE.dcm with its segment table past the end",
    bytes: withFrame(rle, frame),
    problem: /segment table points past the end/,
    source: "derived_CRchest_RLE.dcm",
  };
}
