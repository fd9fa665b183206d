import { z } from "zod";
import { ViewSchema } from "../domain";
import { ImageIdSchema, ImportResultSchema, JobIdSchema, LooseImagesSchema } from "../import-types";
import { def } from "./define";

const PathSchema = z.string().min(1).max(4096);

export const importContract = {
  paths: def(
    "mutation",
    z
      .object({
        /** Absolute paths of files or folders (folders are walked recursively). */
        paths: z.array(PathSchema).min(1).max(1000),
        /** Optional id for the job-progress events of this import (so the caller can follow them). */
        jobId: JobIdSchema.optional(),
        /** How loose images (PNG/JPEG, DICOM without a StudyInstanceUID) form studies; default "per-file". */
        looseImages: LooseImagesSchema.optional(),
      })
      .strict(),
    ImportResultSchema,
    "Imports DICOM, PNG and JPEG files (or folders of them) into the worklist; bad files are listed, the rest imported.",
  ),
  pickPaths: def(
    "mutation",
    z.object({ kind: z.enum(["files", "folder"]) }).strict(),
    z.object({ paths: z.array(z.string()), available: z.boolean() }),
    "Asks the user for files or a folder with the system dialog (Electron only; available=false elsewhere).",
  ),
  setView: def(
    "mutation",
    z.object({ imageId: ImageIdSchema, view: ViewSchema }).strict(),
    z.object({ imageId: z.string(), studyId: z.string(), view: ViewSchema }),
    "Overrides whether an image is the frontal or the lateral view (recorded as the user's choice).",
  ),
} as const;
