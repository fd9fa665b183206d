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
      })
      .strict(),
    z.array(StudySummarySchema),
    "Worklist: studies matching a free-text search and a status.",
  ),
  get: def("query", z.object({ studyId: StudyIdSchema }).strict(), StudyDetailSchema, "One study with its images."),
} as const;
