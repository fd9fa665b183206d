/**
 * Types of the image input: what a decode returns and what it accepts, shared by the main process's imaging service
 * and the renderer (which reads the same DICOM attributes through ./dicom-reader). No Node or DOM APIs here.
 */

export type ImageSourceFormat = "dicom" | "png" | "jpeg";

/** VOI window functions of DICOM PS3.3 C.11.2.1.2 / C.11.2.1.3. */
export type WindowFunction = "LINEAR" | "LINEAR_EXACT" | "SIGMOID";

export interface WindowSetting {
  /** Window center, in modality units (after rescale). */
  readonly center: number;
  /** Window width, in modality units; > 0 (>= 1 for LINEAR). */
  readonly width: number;
  readonly function: WindowFunction;
  /** Window Center & Width Explanation (0028,1055), when the file gives one. */
  readonly explanation: string | null;
}

export interface RescaleSetting {
  readonly slope: number;
  readonly intercept: number;
  /** Rescale Type (0028,1054), e.g. "US" (unspecified) or "HU"; null when absent. */
  readonly type: string | null;
}

/**
 * Where the 8-bit display mapping came from, in order of precedence:
 * - "user": the caller's window (DecodeImageOptions.window),
 * - "voi-lut": the first item of the VOI LUT Sequence (0028,3010),
 * - "window": the first Window Center / Width (0028,1050/1051) of the file,
 * - "identity": 8-bit data with no VOI in the file (DICOM with 8 bits stored, unsigned, identity rescale; and 8-bit
 *   PNG/JPEG): the stored values are the display values, exactly as PNG training data is read,
 * - "min-max": no VOI in the file: a linear window from the smallest to the largest non-padding modality value.
 */
export type VoiSource = "user" | "voi-lut" | "window" | "identity" | "min-max";

export interface AppliedVoi {
  readonly source: VoiSource;
  /** The window used (for "min-max" the computed one); null for "voi-lut" and "identity". */
  readonly window: WindowSetting | null;
  /** LUT Explanation (0028,3003) of the VOI LUT used, for "voi-lut". */
  readonly lutExplanation: string | null;
  /** Why a file VOI was skipped, e.g. an invalid window width; null when nothing was skipped. */
  readonly note: string | null;
}

export interface PixelSpacing {
  /** Spacing between rows (vertical), mm. */
  readonly row: number;
  /** Spacing between columns (horizontal), mm. */
  readonly column: number;
  /** Which attribute gave it: Pixel Spacing (0028,0030) or Imager Pixel Spacing (0018,1164). */
  readonly source: "PixelSpacing" | "ImagerPixelSpacing";
}

export interface ViewCode {
  readonly value: string | null;
  readonly scheme: string | null;
  readonly meaning: string | null;
}

/** Everything a decode reports about the image and where it came from. DICOM-only fields are null for PNG/JPEG. */
export interface ImageMetadata {
  /** The path as given to decodeImageFile. */
  readonly sourcePath: string;
  readonly format: ImageSourceFormat;
  readonly width: number;
  readonly height: number;
  readonly numberOfFrames: number;
  /** The frame decoded (0-based). */
  readonly frame: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: 0 | 1;
  /**
   * Photometric Interpretation as stored (DICOM), or "MONOCHROME2" / "RGB" for PNG/JPEG (colour input is reduced to
   * luminance, see docs/imaging.md).
   */
  readonly photometric: string;
  /** True when the display rendering was inverted (MONOCHROME1). */
  readonly inverted: boolean;
  readonly transferSyntaxUid: string | null;
  readonly transferSyntaxName: string | null;
  /** True when the pixels went through lossy compression (lossy transfer syntax or Lossy Image Compression "01"). */
  readonly lossyCompressed: boolean;
  readonly rescale: RescaleSetting;
  /** True when a Modality LUT Sequence (0028,3000) was applied instead of rescale slope / intercept. */
  readonly modalityLutApplied: boolean;
  /** Window settings of the file (all values); the one applied is DecodedImage.voi. */
  readonly windows: readonly WindowSetting[];
  readonly hasVoiLut: boolean;
  /** Pixel Padding Value / Range Limit (0028,0120 / 0028,0121), in stored values; null when absent. */
  readonly pixelPadding: { readonly value: number; readonly rangeLimit: number | null } | null;
  readonly pixelSpacing: PixelSpacing | null;
  readonly patientName: string | null;
  readonly patientId: string | null;
  readonly studyInstanceUid: string | null;
  readonly seriesInstanceUid: string | null;
  readonly sopInstanceUid: string | null;
  readonly sopClassUid: string | null;
  /** Study Date as stored (YYYYMMDD). */
  readonly studyDate: string | null;
  readonly studyDescription: string | null;
  /** Institution Name (0008,0080), Accession Number (0008,0050), Referring Physician's Name (0008,0090, PN as stored). */
  readonly institutionName: string | null;
  readonly accessionNumber: string | null;
  readonly referringPhysicianName: string | null;
  readonly modality: string | null;
  /** View Position (0018,5101), e.g. "PA", "AP", "LL", "RL", "LATERAL". */
  readonly viewPosition: string | null;
  /** Image Laterality (0020,0062). */
  readonly imageLaterality: string | null;
  /** Series Laterality (0020,0060). */
  readonly laterality: string | null;
  readonly bodyPartExamined: string | null;
  readonly seriesDescription: string | null;
  readonly protocolName: string | null;
  readonly imageComments: string | null;
  /** Patient Orientation (0020,0020): row and column directions, e.g. ["L", "F"] for a PA chest. */
  readonly patientOrientation: readonly string[] | null;
  /** Items of the View Code Sequence (0054,0220). */
  readonly viewCodes: readonly ViewCode[];
  /** What the order says about the study (prefills Indication, docs/reports.md); empty lists when absent. */
  readonly request: StudyRequest;
}

/**
 * The order's text attributes, each read at the top level and in every item of the Request Attributes Sequence
 * (0040,0275), distinct values in file order.
 */
export interface StudyRequest {
  /** Reason for the Requested Procedure (0040,1002). */
  readonly reasonForRequestedProcedure: readonly string[];
  /** Reason for Study (0032,1030, retired but still written). */
  readonly reasonForStudy: readonly string[];
  /** Admitting Diagnoses Description (0008,1080). */
  readonly admittingDiagnoses: readonly string[];
}

/** No order attributes (PNG/JPEG, or a DICOM file without them). */
export const EMPTY_STUDY_REQUEST: StudyRequest = {
  reasonForRequestedProcedure: [],
  reasonForStudy: [],
  admittingDiagnoses: [],
};

export interface DecodeTimings {
  /** Reading the file from disk. */
  readonly readMs: number;
  /** Parsing the container (DICOM data set, PNG/JPEG header). */
  readonly parseMs: number;
  /** Decompressing / unpacking the pixel data to stored values. */
  readonly decodeMs: number;
  /** Modality LUT, padding, VOI, inversion, 8-bit rendering. */
  readonly renderMs: number;
  readonly totalMs: number;
}

/**
 * A decoded image. Both pixel buffers are row-major, width x height, one value per pixel, and own their whole
 * ArrayBuffer (so they can be transferred between threads).
 */
export interface DecodedImage {
  readonly metadata: ImageMetadata;
  readonly width: number;
  readonly height: number;
  /**
   * Modality values: stored values through the modality LUT (rescale slope / intercept or Modality LUT Sequence).
   * Colour input gives luminance. Padding pixels keep their value; see paddingMask.
   */
  readonly modalityPixels: Float32Array;
  /**
   * Set when a JPEG 2000 frame was decoded at a reduced resolution level (DecodeImageOptions.minLongSide): width and
   * height are then the full image's divided by 2^resolutionLevel, rounded up (metadata keeps the full size).
   */
  readonly resolutionLevel?: number;
  /** Smallest and largest modality value over non-padding pixels. */
  readonly modalityRange: { readonly min: number; readonly max: number };
  /** 1 where the pixel is padding (Pixel Padding Value / Range), else 0; null when the file declares no padding. */
  readonly paddingMask: Uint8Array | null;
  readonly paddingCount: number;
  /**
   * The display rendering: VOI applied, MONOCHROME1 inverted, padding black; 0 = black, 255 = white.
   * This is the model's input (the models were trained on 8-bit PNG renderings).
   */
  readonly displayPixels: Uint8Array;
  readonly voi: AppliedVoi;
  readonly timings: DecodeTimings;
}

export interface UserWindow {
  readonly center: number;
  readonly width: number;
  readonly function?: WindowFunction | undefined;
}

export interface DecodeImageOptions {
  /** Frame of a multi-frame DICOM to decode (0-based); default 0. */
  readonly frame?: number | undefined;
  /** A window that overrides the file's VOI (in modality units). */
  readonly window?: UserWindow | undefined;
  /** Refuse files larger than this many bytes (default 1 GiB). */
  readonly maxFileBytes?: number | undefined;
  /** Refuse images with more pixels than this (default 64 megapixels). */
  readonly maxPixels?: number | undefined;
  /**
   * The long side the caller needs (e.g. the model's input size): a JPEG 2000 frame may then be decoded at a reduced
   * resolution level whose long side is still at least this. Default: full resolution.
   */
  readonly minLongSide?: number | undefined;
  /** Cancels the decode: the promise rejects with ImagingError code "ABORTED" (name "AbortError"). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Read the file with blocking calls (decodeImageFile): for a worker thread that has nothing else to do meanwhile
   * (the inference worker), it saves the thread-pool hops of an async stat + open/read/close (~0.25 ms per small
   * file under load). Default false: the calling thread's event loop stays free.
   */
  readonly blockingRead?: boolean | undefined;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/** Stored pixel values of one frame: Int32Array up to 31 bits, Float64Array for 32-bit unsigned. */
export type StoredPixels = Int32Array | Float64Array;

/** A DICOM lookup table (Modality LUT or VOI LUT item). */
export interface LookupTable {
  /** Input value mapped to the first entry. */
  readonly firstMapped: number;
  /** Bits per entry from the LUT Descriptor (used to scale VOI LUT output to 8 bits). */
  readonly bitsPerEntry: number;
  readonly entries: Uint16Array;
  readonly explanation: string | null;
}

export type ModalityTransform =
  | { readonly kind: "rescale"; readonly slope: number; readonly intercept: number }
  | { readonly kind: "lut"; readonly lut: LookupTable };

export interface VoiCandidates {
  /** The caller's window: wins over everything in the file. */
  readonly user?: UserWindow | undefined;
  /** First item of the VOI LUT Sequence. */
  readonly lut?: LookupTable | undefined;
  /** Window settings of the file; the first valid one is used. */
  readonly fileWindows: readonly WindowSetting[];
  /** The data are 8-bit unsigned with identity modality transform: without a file VOI, show the values as they are. */
  readonly identityWhenNoVoi: boolean;
}
