import { z } from "zod";
import { StudyIdSchema } from "../domain";
import { ImageSourceSchema } from "../import-types";
import { def } from "./define";

export const filesContract = {
  imageSources: def(
    "query",
    z.object({ studyId: StudyIdSchema }).strict(),
    z.array(ImageSourceSchema),
    "The images of a study as the viewer loads them: format, encoding, view, and whether the file can be served.",
  ),
} as const;
