/**
 * Types of the studies import, the image files served to the viewer and the user's key bindings, shared by main and
 * the renderer. Nothing here imports Node or Electron APIs.
 */
import { z } from "zod";
import { ViewSchema } from "./domain";

/** The Electron shell serves image files to the renderer on this privileged scheme: rd-image://image/<imageId>. */
export const IMAGE_SCHEME = "rd-image";
/** The loopback harness serves them on GET /files/<imageId> (Bearer token, same origin). */
export const HARNESS_FILES_PATH = "/files/";

/**
 * Similar-case thumbnails come over the same file channel, by study id: `thumbnail/<studyId>` relative to it
 * (rd-image://thumbnail/<studyId> in Electron, GET /files/thumbnail/<studyId> in the harness). The bytes stay in the
 * retrieval index (retrieval_cases.thumbnail); only this URL travels in the similar-case lists.
 */
export const THUMBNAIL_FILE_PREFIX = "thumbnail/";
export function thumbnailFileUrl(studyId: string): string {
  return `${THUMBNAIL_FILE_PREFIX}${encodeURIComponent(studyId)}`;
}

/** Image ids are opaque database ids; only these characters ever reach a URL. */
export const ImageIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._-]+$/, "an image id has only letters, digits, '.', '_' and '-'");

/** A client-chosen id that ties the job-progress events of one import to the call that started it. */
export const JobIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9._-]+$/, "a job id has only letters, digits, '.', '_' and '-'");

/**
 * How loose images — PNG/JPEG files, and DICOM files without a StudyInstanceUID — form studies:
 * - "per-file" (default): one study per file, except the R2Gen layout (`<study>/0.png` frontal, `1.png` lateral),
 *   whose folder is one study;
 * - "one-study": the user says this import's loose images are one patient's study (the Import panel's grouping).
 * DICOM files with a StudyInstanceUID are always grouped by it.
 */
export const LooseImagesSchema = z.enum(["per-file", "one-study"]);
export type LooseImages = z.infer<typeof LooseImagesSchema>;

export const ImportFailureSchema = z.object({
  /** The file (or the path as given, when it could not be read at all). */
  path: z.string(),
  reason: z.string(),
});
export type ImportFailure = z.infer<typeof ImportFailureSchema>;

export const ImportResultSchema = z.object({
  jobId: z.string(),
  /** Studies that gained or changed images. */
  studyIds: z.array(z.string()),
  /** Files found under the given paths (folders are walked recursively). */
  filesFound: z.number().int().nonnegative(),
  /** New image rows. */
  imagesAdded: z.number().int().nonnegative(),
  /** Known files whose content changed since the last import (metadata and checksum refreshed). */
  imagesUpdated: z.number().int().nonnegative(),
  /** Files already imported with the same content (re-importing is idempotent). */
  imagesUnchanged: z.number().int().nonnegative(),
  /** Files that could not be imported, each with the reason; the rest were imported. */
  failures: z.array(ImportFailureSchema),
});
export type ImportResult = z.infer<typeof ImportResultSchema>;

export const ImageFormatSchema = z.enum(["dicom", "png", "jpeg"]);
export type ImageFormat = z.infer<typeof ImageFormatSchema>;

/** What the viewer needs to load one image of a study through the image-file transport. */
export const ImageSourceSchema = z.object({
  imageId: z.string(),
  format: ImageFormatSchema,
  contentType: z.string(),
  /** The file's base name (shown in the image strip; the renderer never sees the full path's contents). */
  fileName: z.string(),
  view: ViewSchema,
  viewReason: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  transferSyntaxUid: z.string().nullable(),
  /** Human name of the transfer syntax or the file format, e.g. "JPEG 2000 (lossy)" or "PNG". */
  encoding: z.string(),
  /** False when the file is missing or changed since import (it will not be served). */
  available: z.boolean(),
  problem: z.string().nullable(),
  /**
   * Whether main has a reduced-resolution copy of the image for the viewer's first paint (a large compressed DICOM
   * image whose decoded copy is written: docs/viewer.md); fetched as the image's file "for=viewer-preview".
   */
  preview: z.boolean().optional(),
});
export type ImageSource = z.infer<typeof ImageSourceSchema>;

/** Key chords as written in the command table: "?", "F1", "Ctrl+Shift+S", "ArrowDown", "Shift+h". */
export const KeyChordSchema = z.string().min(1).max(40);
export const CommandIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z][A-Za-z0-9._-]*$/, "a command id is letters, digits, '.', '_' and '-'");
/** User overrides of the default key bindings: command id → chords (an empty list unbinds the command). */
export const KeyBindingOverridesSchema = z
  .record(CommandIdSchema, z.array(KeyChordSchema).max(8))
  .refine((o) => Object.keys(o).length <= 500, "at most 500 commands can be rebound");
export type KeyBindingOverrides = z.infer<typeof KeyBindingOverridesSchema>;
