/**
 * Measurements on an image of a study (issue 17.2): length, angle, elliptical ROI, the cardiothoracic ratio and the
 * probe (the stored and modality value at a point).
 * The one definition of what a measurement is (zod, used by the IPC contract and the case database), of the
 * calibration it was made with, of its values (computed here from the image-pixel points, the same in main and the
 * renderer) and of the sentence "insert measurement" writes into the report.
 */
import { z } from "zod";

export const MEASUREMENT_KINDS = ["length", "angle", "ellipse", "ctr", "probe"] as const;
export type MeasurementKind = (typeof MEASUREMENT_KINDS)[number];

/** How many image-pixel points each kind holds: a line's ends; vertex between two ends; the bounding box's corners; two horizontal widths (cardiac, then thoracic); the probe's point. */
export const POINTS_PER_KIND: Record<MeasurementKind, number> = { length: 2, angle: 3, ellipse: 2, ctr: 4, probe: 1 };

const PointSchema = z.object({ x: z.number().finite(), y: z.number().finite() }).strict();
export type Point = z.infer<typeof PointSchema>;

/**
 * Where the mm came from: Pixel Spacing (0028,0030, in the patient), Imager Pixel Spacing (0018,1164, at the
 * detector, so not corrected for magnification), or none (values in image pixels, "uncalibrated").
 */
export const CalibrationSchema = z
  .object({
    source: z.enum(["PixelSpacing", "ImagerPixelSpacing", "none"]),
    /** mm between rows (vertical) and between columns (horizontal); null when uncalibrated. */
    rowSpacingMm: z.number().positive().max(100).nullable(),
    columnSpacingMm: z.number().positive().max(100).nullable(),
  })
  .strict()
  .refine((c) => (c.source === "none") === (c.rowSpacingMm === null && c.columnSpacingMm === null), {
    message: "a calibration has both spacings, an uncalibrated one has neither",
  })
  .refine((c) => c.source === "none" || (c.rowSpacingMm !== null && c.columnSpacingMm !== null), {
    message: "a calibration needs the row and the column spacing",
  });
export type Calibration = z.infer<typeof CalibrationSchema>;

export const UNCALIBRATED: Calibration = { source: "none", rowSpacingMm: null, columnSpacingMm: null };

/**
 * The calibration of an image from its Pixel Spacing (0028,0030) and Imager Pixel Spacing (0018,1164) values (row
 * spacing first): Pixel Spacing wins; a missing, zero, negative or unreadable pair counts as absent ("0.000\\0.000"
 * is seen in real files).
 */
export function calibrationFromSpacing(
  pixelSpacing: readonly number[],
  imagerPixelSpacing: readonly number[],
): Calibration {
  const valid = (v: readonly number[]) =>
    v.length >= 2 && v.slice(0, 2).every((n) => Number.isFinite(n) && n > 0 && n <= 100);
  if (valid(pixelSpacing))
    return { source: "PixelSpacing", rowSpacingMm: pixelSpacing[0]!, columnSpacingMm: pixelSpacing[1]! };
  if (valid(imagerPixelSpacing))
    return {
      source: "ImagerPixelSpacing",
      rowSpacingMm: imagerPixelSpacing[0]!,
      columnSpacingMm: imagerPixelSpacing[1]!,
    };
  return UNCALIBRATED;
}

/** The calibration as the overlay and the report state it. */
export function calibrationLabel(c: Calibration): string {
  if (c.source === "none") return "uncalibrated (no pixel spacing)";
  const spacing = `${trim(c.rowSpacingMm!, 3)} × ${trim(c.columnSpacingMm!, 3)} mm`;
  return c.source === "PixelSpacing"
    ? `Pixel Spacing ${spacing}`
    : `Imager Pixel Spacing ${spacing} (at the detector, not corrected for magnification)`;
}

/** ROI statistics measured by the viewer (cornerstone-tools) on the modality values (stored × rescale slope + intercept) inside the ellipse. */
export const RoiStatsSchema = z
  .object({ mean: z.number().finite(), sd: z.number().finite().nonnegative(), pixels: z.number().int().positive() })
  .strict();
export type RoiStats = z.infer<typeof RoiStatsSchema>;

/** A probe's reading at its point, read by the viewer (cornerstone-tools' ProbeTool): the stored pixel value and the modality value (stored × rescale slope + intercept). */
export const ProbeReadingSchema = z.object({ stored: z.number().finite(), modality: z.number().finite() }).strict();
export type ProbeReading = z.infer<typeof ProbeReadingSchema>;

const IdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, "an id of letters, digits, '.', '_', '-'");

export const MeasurementDraftSchema = z
  .object({
    studyId: IdSchema,
    imageId: IdSchema,
    kind: z.enum(MEASUREMENT_KINDS),
    points: z.array(PointSchema).min(1).max(4),
    /** Only for an ellipse. */
    stats: RoiStatsSchema.nullable().default(null),
    /** Only, and always, for a probe. */
    reading: ProbeReadingSchema.nullable().default(null),
    label: z.string().trim().max(200).default(""),
  })
  .strict()
  .refine((m) => m.points.length === POINTS_PER_KIND[m.kind], {
    message: "the number of points does not fit the kind (length 2, angle 3, ellipse 2, ctr 4, probe 1)",
    path: ["points"],
  })
  .refine((m) => m.kind === "ellipse" || m.stats === null, {
    message: "only an elliptical ROI has statistics",
    path: ["stats"],
  })
  .refine((m) => (m.kind === "probe") === (m.reading !== null), {
    message: "a probe needs its reading (stored and modality value); other kinds have none",
    path: ["reading"],
  });
export type MeasurementDraft = z.input<typeof MeasurementDraftSchema>;

export const MeasurementValuesSchema = z
  .object({
    /** Length in mm (or px), angle in degrees, ellipse area in mm² (or px²), ratio without unit, probe: modality value. */
    value: z.number().finite(),
    unit: z.enum(["mm", "px", "deg", "mm2", "px2", "ratio", "value"]),
    /** CTR: cardiac and thoracic widths; ellipse: the axes; probe: the stored pixel value. */
    parts: z.array(z.object({ name: z.string(), value: z.number().finite(), unit: z.string() }).strict()),
  })
  .strict();
export type MeasurementValues = z.infer<typeof MeasurementValuesSchema>;

export const MeasurementSchema = z
  .object({
    id: z.number().int().positive(),
    studyId: z.string(),
    imageId: z.string(),
    kind: z.enum(MEASUREMENT_KINDS),
    points: z.array(PointSchema),
    calibration: CalibrationSchema,
    stats: RoiStatsSchema.nullable(),
    reading: ProbeReadingSchema.nullable(),
    label: z.string(),
    values: MeasurementValuesSchema,
    /** Set when the report was signed with it: it is then part of the signed record and locked. */
    signedReportId: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .strict();
export type Measurement = z.infer<typeof MeasurementSchema>;

function trim(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, "");
}

/** A distance between two image points, in mm with a calibration, else in pixels. */
function distance(a: Point, b: Point, c: Calibration): number {
  const dx = (b.x - a.x) * (c.columnSpacingMm ?? 1);
  const dy = (b.y - a.y) * (c.rowSpacingMm ?? 1);
  return Math.hypot(dx, dy);
}

/** The values of a measurement from its points (geometry in the patient plane when calibrated); a probe's from its reading. */
export function measurementValues(
  kind: MeasurementKind,
  points: readonly Point[],
  calibration: Calibration,
  reading: ProbeReading | null = null,
): MeasurementValues {
  if (points.length !== POINTS_PER_KIND[kind])
    throw new Error(`a ${kind} measurement has ${POINTS_PER_KIND[kind]} points`);
  const mm = calibration.source !== "none";
  const p = points as Point[];
  switch (kind) {
    case "length":
      return { value: distance(p[0]!, p[1]!, calibration), unit: mm ? "mm" : "px", parts: [] };
    case "angle": {
      // Vertex p[1]; the angle between the arms in the (spacing-corrected) plane.
      const sx = calibration.columnSpacingMm ?? 1;
      const sy = calibration.rowSpacingMm ?? 1;
      const ax = (p[0]!.x - p[1]!.x) * sx;
      const ay = (p[0]!.y - p[1]!.y) * sy;
      const bx = (p[2]!.x - p[1]!.x) * sx;
      const by = (p[2]!.y - p[1]!.y) * sy;
      const la = Math.hypot(ax, ay);
      const lb = Math.hypot(bx, by);
      if (la === 0 || lb === 0) throw new Error("an angle needs two arms of non-zero length");
      const cos = Math.max(-1, Math.min(1, (ax * bx + ay * by) / (la * lb)));
      return { value: (Math.acos(cos) * 180) / Math.PI, unit: "deg", parts: [] };
    }
    case "ellipse": {
      const w = Math.abs(p[1]!.x - p[0]!.x) * (calibration.columnSpacingMm ?? 1);
      const h = Math.abs(p[1]!.y - p[0]!.y) * (calibration.rowSpacingMm ?? 1);
      const unit = mm ? "mm" : "px";
      return {
        value: (Math.PI * w * h) / 4,
        unit: mm ? "mm2" : "px2",
        parts: [
          { name: "width", value: w, unit },
          { name: "height", value: h, unit },
        ],
      };
    }
    case "ctr": {
      // Widths are horizontal: only the x extent counts (the tool keeps both ends on one row).
      const sx = calibration.columnSpacingMm ?? 1;
      const cardiac = Math.abs(p[1]!.x - p[0]!.x) * sx;
      const thoracic = Math.abs(p[3]!.x - p[2]!.x) * sx;
      if (thoracic === 0) throw new Error("the thoracic width of a cardiothoracic ratio is zero");
      const unit = mm ? "mm" : "px";
      return {
        value: cardiac / thoracic,
        unit: "ratio",
        parts: [
          { name: "cardiac width", value: cardiac, unit },
          { name: "thoracic width", value: thoracic, unit },
        ],
      };
    }
    case "probe":
      if (!reading) throw new Error("a probe measurement needs its reading (stored and modality value)");
      return {
        value: reading.modality,
        unit: "value",
        parts: [{ name: "stored value", value: reading.stored, unit: "value" }],
      };
  }
}

const UNIT_TEXT: Record<MeasurementValues["unit"], string> = {
  mm: "mm",
  px: "pixels",
  deg: "°",
  mm2: "mm²",
  px2: "pixels²",
  ratio: "",
  value: "",
};

/** A value with its unit as the overlay and the report write it: "42.3 mm", "37.5°", "0.48". */
export function formatValue(value: number, unit: MeasurementValues["unit"] | string): string {
  if (unit === "ratio") return value.toFixed(2);
  if (unit === "value") return trim(value, 2) || "0";
  const text = UNIT_TEXT[unit as MeasurementValues["unit"]] ?? unit;
  const digits = unit === "mm2" || unit === "px2" ? 0 : 1;
  return unit === "deg" ? `${value.toFixed(digits)}°` : `${value.toFixed(digits)} ${text}`;
}

/** The measurement's short text for the overlay and the measurement list. */
export function measurementSummary(m: Pick<Measurement, "kind" | "values" | "stats">): string {
  const v = m.values;
  switch (m.kind) {
    case "length":
      return `Length ${formatValue(v.value, v.unit)}`;
    case "angle":
      return `Angle ${formatValue(v.value, v.unit)}`;
    case "ellipse": {
      const stats = m.stats ? `, mean ${m.stats.mean.toFixed(1)}, SD ${m.stats.sd.toFixed(1)}` : "";
      return `ROI area ${formatValue(v.value, v.unit)}${stats}`;
    }
    case "ctr":
      return `CTR ${formatValue(v.value, "ratio")}`;
    case "probe":
      return `Probe ${formatValue(v.value, "value")} (stored ${formatValue(v.parts[0]?.value ?? Number.NaN, "value")})`;
  }
}

/**
 * The sentence "insert measurement" puts into the report, stating the calibration:
 * "Cardiothoracic ratio 0.48 (cardiac width 131.2 mm, thoracic width 273.0 mm; Pixel Spacing 0.143 × 0.143 mm)."
 */
export function measurementSentence(
  m: Pick<Measurement, "kind" | "values" | "stats" | "label" | "calibration">,
): string {
  const v = m.values;
  const cal = calibrationSentence(m.calibration);
  let body: string;
  switch (m.kind) {
    case "length":
      body = `length ${formatValue(v.value, v.unit)} (${cal})`;
      break;
    case "angle":
      body = `angle ${formatValue(v.value, v.unit)}`;
      break;
    case "ellipse": {
      const stats = m.stats
        ? `, mean ${m.stats.mean.toFixed(1)}, SD ${m.stats.sd.toFixed(1)} (modality pixel values)`
        : "";
      body = `region of interest of ${formatValue(v.value, v.unit)}${stats} (${cal})`;
      break;
    }
    case "ctr": {
      const parts = v.parts.map((p) => `${p.name} ${formatValue(p.value, p.unit)}`).join(", ");
      body = `cardiothoracic ratio ${formatValue(v.value, "ratio")} (${parts}; ${cal})`;
      break;
    }
    case "probe":
      body = `probe value ${formatValue(v.value, "value")} (modality value; stored pixel value ${formatValue(v.parts[0]?.value ?? Number.NaN, "value")})`;
      break;
  }
  const text = m.label ? `${m.label}: ${body}` : body;
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function calibrationSentence(c: Calibration): string {
  if (c.source === "none") return "uncalibrated: the image states no pixel spacing";
  const spacing = `${trim(c.rowSpacingMm!, 3)} × ${trim(c.columnSpacingMm!, 3)} mm`;
  return c.source === "PixelSpacing"
    ? `Pixel Spacing ${spacing}`
    : `Imager Pixel Spacing ${spacing}, not corrected for magnification`;
}
