import { z } from "zod";
import { MeasurementDraftSchema, MeasurementSchema, ProbeReadingSchema, RoiStatsSchema } from "../measurements";
import { def } from "./define";

const PointSchema = z.object({ x: z.number().finite(), y: z.number().finite() }).strict();

export const measurementsContract = {
  list: def(
    "query",
    z.object({ studyId: z.string().min(1).max(128) }).strict(),
    z.array(MeasurementSchema),
    "The measurements of a study (length, angle, elliptical ROI, cardiothoracic ratio, probe), oldest first.",
  ),
  create: def(
    "mutation",
    MeasurementDraftSchema,
    MeasurementSchema,
    "Stores a measurement made on an image of the study; main computes its values from the points and calibration.",
  ),
  update: def(
    "mutation",
    z
      .object({
        id: z.number().int().positive(),
        points: z.array(PointSchema).min(1).max(4).optional(),
        label: z.string().trim().max(200).optional(),
        stats: RoiStatsSchema.nullable().optional(),
        reading: ProbeReadingSchema.optional(),
      })
      .strict(),
    MeasurementSchema,
    "Edits a measurement's points, label, ROI statistics or probe reading (not once the report is signed).",
  ),
  delete: def(
    "mutation",
    z.object({ id: z.number().int().positive() }).strict(),
    z.object({ id: z.number().int(), studyId: z.string() }).strict(),
    "Deletes a measurement (not once the report is signed).",
  ),
} as const;
