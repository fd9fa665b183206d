import { z } from "zod";
import { StudyDetailSchema, StudyIdSchema, StudyStatusSchema, StudySummarySchema } from "../domain";
import { def } from "./define";

export const studiesContract = {
  list: def(
    "query",
    z
      .object({
        search: z.string().max(200).optional(),
        status: StudyStatusSchema.optional(),
        /** Study date range, inclusive, YYYY-MM-DD (either end may be left open). */
        dateFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date is YYYY-MM-DD").optional(),
        dateTo: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date is YYYY-MM-DD").optional(),
      })
      .strict(),
    z.array(StudySummarySchema),
    "Worklist: studies matching a free-text search (every word), a status and a study date range.",
  ),
  get: def("query", z.object({ studyId: StudyIdSchema }).strict(), StudyDetailSchema, "One study with its images."),
} as const;
