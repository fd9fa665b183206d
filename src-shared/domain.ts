/**
 * Domain types and their zod schemas, shared by main, preload and renderer.
 * Nothing here imports Node or Electron APIs.
 */
import { z } from "zod";

export const StudyStatusSchema = z.enum(["new", "drafting", "drafted", "signed"]);
export type StudyStatus = z.infer<typeof StudyStatusSchema>;

export const ViewSchema = z.enum(["frontal", "lateral", "unknown"]);
export type View = z.infer<typeof ViewSchema>;

/** Opaque id of a study in the case database. */
export const StudyIdSchema = z.string().min(1).max(200);

/** The input of a call about one study: its id. */
export const StudyRefSchema = z.object({ studyId: StudyIdSchema }).strict();

/**
 * The study-level DICOM attributes a study list shows, alike for a local study and one found on a PACS (null: the
 * study's headers do not carry it). studyDate is a DICOM DA (YYYYMMDD).
 */
export const StudyAttributesSchema = z.object({
  patientId: z.string().nullable(),
  patientName: z.string().nullable(),
  studyDate: z.string().nullable(),
  description: z.string().nullable(),
  /** Accession Number (0008,0050). */
  accessionNumber: z.string().nullable(),
  /** The distinct modalities of the study's series (e.g. ["CR"]), in series order. */
  modalities: z.array(z.string()),
});

export const StudySummarySchema = z.object({
  id: StudyIdSchema,
  studyInstanceUid: z.string().nullable(),
  ...StudyAttributesSchema.shape,
  source: z.enum(["demo", "import"]),
  /** The PACS connection (its name) the study was retrieved from; null for a study read from files. */
  pacsConnection: z.string().nullable(),
  status: StudyStatusSchema,
  /** The report (draft or signed) holds a critical result (issue 18.3): the worklist lists such studies first. */
  critical: z.boolean(),
  imageCount: z.number().int().nonnegative(),
  updatedAt: z.string(),
});
export type StudySummary = z.infer<typeof StudySummarySchema>;

export const ImageRefSchema = z.object({
  id: z.string(),
  seriesInstanceUid: z.string().nullable(),
  sopInstanceUid: z.string().nullable(),
  filePath: z.string(),
  view: ViewSchema,
  viewReason: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
});
export type ImageRef = z.infer<typeof ImageRefSchema>;

export const StudyDetailSchema = StudySummarySchema.extend({
  images: z.array(ImageRefSchema),
});
export type StudyDetail = z.infer<typeof StudyDetailSchema>;

export const ModelStatusSchema = z.object({
  name: z.string(),
  version: z.string(),
  executionProvider: z.string(),
});

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  transport: z.enum(["electron", "loopback", "in-process"]),
  dataDir: z.string(),
  databasePath: z.string(),
  schemaVersion: z.number().int(),
  runtime: z.object({ node: z.string(), electron: z.string().nullable(), platform: z.string() }),
  /** Present once a model pack is loaded. */
  model: ModelStatusSchema.nullable(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** Events main pushes to the renderer (progress of long work, data changes). */
export const AppEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("job-progress"),
    jobId: z.string(),
    /** The study the job works on (AI drafts), so listeners never parse the job id. */
    studyId: StudyIdSchema.optional(),
    label: z.string(),
    done: z.number().nonnegative(),
    total: z.number().nonnegative(),
    message: z.string().optional(),
  }),
  z.object({ type: z.literal("studies-changed"), studyIds: z.array(StudyIdSchema) }),
  /** A draft version of the study was written (autosave): other tabs or windows on it reconcile (issue 18.6). */
  z.object({
    type: z.literal("draft-changed"),
    studyId: StudyIdSchema,
    version: z.number().int().positive(),
    revision: z.number().int().positive(),
  }),
  z.object({ type: z.literal("notice"), level: z.enum(["info", "warning", "error"]), message: z.string() }),
  /** PACS connections, the local cache of PACS studies or the STOW-RS outbox changed (docs/pacs.md). */
  z.object({ type: z.literal("pacs-changed"), area: z.enum(["connections", "cache", "outbox"]) }),
]);
export type AppEvent = z.infer<typeof AppEventSchema>;
