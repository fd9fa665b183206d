/**
 * Report domain: draft sections and versions, AI spans, similar cases, drafting jobs, signing, addenda, audit and
 * exports. Zod schemas shared by main and renderer; no Node or Electron imports.
 */
import { z } from "zod";
import { StudyIdSchema, StudyStatusSchema } from "./domain";
import { CHEXPERT_OBSERVATIONS, type LabelVector } from "./observations";
import { ScopeAssessmentSchema } from "./scope/chest-scope";

export const SECTION_KEYS = ["indication", "comparison", "findings", "impression"] as const;
export const SectionKeySchema = z.enum(SECTION_KEYS);
export type SectionKey = z.infer<typeof SectionKeySchema>;

export const SECTION_TITLES: Record<SectionKey, string> = {
  indication: "Indication",
  comparison: "Comparison",
  findings: "Findings",
  impression: "Impression",
};

/** Upper bound of one section's text (a chest X-ray report section is a few hundred characters). */
export const MAX_SECTION_CHARS = 20_000;

const SectionTextSchema = z.string().max(MAX_SECTION_CHARS);

export const ReportSectionsSchema = z
  .object({
    indication: SectionTextSchema,
    comparison: SectionTextSchema,
    findings: SectionTextSchema,
    impression: SectionTextSchema,
  })
  .strict();
export type ReportSections = z.infer<typeof ReportSectionsSchema>;

export const EMPTY_SECTIONS: ReportSections = { indication: "", comparison: "", findings: "", impression: "" };

/** A sentence of AI text the user has not touched: [start, end) character offsets into one section's text. */
export const AiSpanSchema = z.object({
  section: SectionKeySchema,
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
});
export type AiSpan = z.infer<typeof AiSpanSchema>;

export const DraftOriginSchema = z.enum(["ai", "user", "insert", "restore"]);
export type DraftOrigin = z.infer<typeof DraftOriginSchema>;

export const DraftVersionSchema = z.object({
  id: z.number().int(),
  studyId: StudyIdSchema,
  version: z.number().int().positive(),
  sections: ReportSectionsSchema,
  aiSpans: z.array(AiSpanSchema),
  origin: DraftOriginSchema,
  author: z.string(),
  createdAt: z.string(),
  /** Last written: autosaves of one typing session go into one version until a pause (docs/reports.md). */
  updatedAt: z.string(),
  /** Counts every write of this version (1 when created): an autosave names the revision it started from. */
  revision: z.number().int().positive(),
});
export type DraftVersion = z.infer<typeof DraftVersionSchema>;

/**
 * An autosave refused because the draft changed elsewhere (another tab or window) since the editor read it (issue
 * 18.6): the newest version and revision, who wrote it and when. The transport sends it as CONFLICT with
 * `data.draftConflict`; the editor offers the newer text or keeps its own as a new revision.
 */
export const DraftConflictSchema = z.object({
  studyId: StudyIdSchema,
  version: z.number().int().positive(),
  revision: z.number().int().positive(),
  author: z.string(),
  updatedAt: z.string(),
});
export type DraftConflict = z.infer<typeof DraftConflictSchema>;

/** The draft conflict a failed call carries (a transport error with `data.draftConflict`), else null. */
export function draftConflictOf(err: unknown): DraftConflict | null {
  const data = (err as { data?: { draftConflict?: unknown } } | null)?.data;
  const parsed = DraftConflictSchema.safeParse(data?.draftConflict);
  return parsed.success ? parsed.data : null;
}

/** The 14 CheXpert observations, in CheXpert order (the order of every label vector in this project). */
export const OBSERVATIONS = CHEXPERT_OBSERVATIONS;

/** 1 positive, 0 negative, -1 uncertain, null not mentioned. */
export const LabelValueSchema = z.union([z.literal(1), z.literal(0), z.literal(-1), z.null()]);
export const LabelVectorSchema: z.ZodType<LabelVector> = z.array(LabelValueSchema).length(OBSERVATIONS.length);
export type { LabelVector };

/** Where a retrieval index case came from: the model pack's gallery, a report signed here, or `npm run index`. */
export const CASE_SOURCES = ["gallery", "signed", "indexed"] as const;
export const CaseSourceSchema = z.enum(CASE_SOURCES);
export type CaseSource = z.infer<typeof CaseSourceSchema>;

/** A retrieved prior case shown beside the draft: what the retrieval index returns, the job keeps and IPC carries. */
export const SimilarCaseSchema = z.object({
  studyId: z.string().min(1),
  /** Cosine similarity of the study embeddings, -1..1. */
  similarity: z.number().min(-1.0001).max(1.0001),
  report: z.string(),
  labels: LabelVectorSchema,
  source: CaseSourceSchema,
  /**
   * The case's frontal-view thumbnail on the file channel (`thumbnailFileUrl`, import-types.ts), when the index has
   * one; the renderer resolves it against its transport.
   */
  thumbnailUrl: z.string().optional(),
});
export type SimilarCase = z.infer<typeof SimilarCaseSchema>;

/** One finding of the model's diagnosis branch for the study: what the model saw, with its decision rule. */
export const ModelFindingSchema = z.object({
  /** The pack's finding name (e.g. "cardiomegaly", "pleural-effusion", "no-finding"). */
  name: z.string().min(1).max(64),
  probability: z.number().min(0).max(1),
  /** Chosen on the pack's val split. */
  threshold: z.number().min(0).max(1),
  /** Whether the pack's val split supports a decision (enough val positives, val ROC AUC >= 0.8). */
  reliable: z.boolean(),
  /** reliable and probability >= threshold. */
  positive: z.boolean(),
});
export type ModelFinding = z.infer<typeof ModelFindingSchema>;

/** A model finding with the draft sentences that name it ([start, end) offsets into a section's text). */
export const LinkedModelFindingSchema = ModelFindingSchema.extend({
  sentences: z.array(AiSpanSchema),
});
export type LinkedModelFinding = z.infer<typeof LinkedModelFindingSchema>;

/** The model's findings against the current draft text, recomputed with every report state. */
export const FindingReviewSchema = z.object({
  findings: z.array(LinkedModelFindingSchema),
  /** Above threshold, and no sentence of Findings or Impression names it: flagged before signing. */
  seenNotMentioned: z.array(z.string()),
  /** Named in Findings or Impression, below the model's threshold: flagged before signing. */
  mentionedNotSeen: z.array(z.string()),
});
export type FindingReview = z.infer<typeof FindingReviewSchema>;

export const EngineModelSchema = z.object({
  name: z.string(),
  version: z.string(),
  executionProvider: z.string(),
});
export type EngineModel = z.infer<typeof EngineModelSchema>;

/**
 * The AI drafting job of a study.
 * - unavailable: no drafting engine (no model pack loaded); nothing was generated.
 * - idle: no job has run yet for this study (or the draft was written by hand).
 * - running / done / failed / cancelled: the last job.
 */
export const DraftJobStateSchema = z.enum(["unavailable", "idle", "running", "done", "failed", "cancelled"]);
export type DraftJobState = z.infer<typeof DraftJobStateSchema>;

export const DraftJobSchema = z.object({
  state: DraftJobStateSchema,
  /** Id of the job-progress events of the running job. */
  jobId: z.string().nullable(),
  message: z.string().nullable(),
  progress: z.object({ done: z.number(), total: z.number(), stage: z.string() }).nullable(),
  model: EngineModelSchema.nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Whether the job kept a study embedding (needed to add the signed case to the retrieval index). */
  hasEmbedding: z.boolean(),
});
export type DraftJob = z.infer<typeof DraftJobSchema>;

export const SignedReportSchema = z.object({
  id: z.number().int(),
  studyId: StudyIdSchema,
  draftVersionId: z.number().int().nullable(),
  sections: ReportSectionsSchema,
  text: z.string(),
  textSha256: z.string(),
  signedBy: z.string(),
  /**
   * The signing account (user name and DICOM PN); null only in reports signed by an older version with a free-text
   * signer name.
   */
  signedByAccount: z.object({ username: z.string(), dicomName: z.string() }).nullable(),
  signedAt: z.string(),
});
export type SignedReport = z.infer<typeof SignedReportSchema>;

export const AddendumSchema = z.object({
  id: z.number().int(),
  text: z.string(),
  author: z.string(),
  createdAt: z.string(),
});
export type Addendum = z.infer<typeof AddendumSchema>;

/**
 * Something that keeps a draft from being signed (issue 18.2): where it is ([start, end) in a section's text, where the
 * report pane puts the cursor) and what to fix.
 */
export const SignOffIssueSchema = z.object({
  code: z.enum(["empty-section", "placeholder", "pick-list", "blank", "laterality"]),
  section: SectionKeySchema,
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  message: z.string(),
});
export type SignOffIssue = z.infer<typeof SignOffIssueSchema>;

/**
 * A critical result (issue 18.3): a sentence of Findings or Impression that affirms or hedges a finding on the
 * configurable critical list, or a positive model finding on it (section null).
 */
export const CriticalFindingSchema = z.object({
  term: z.string(),
  source: z.enum(["text", "model"]),
  section: SectionKeySchema.nullable(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  text: z.string(),
});
export type CriticalFinding = z.infer<typeof CriticalFindingSchema>;

export const COMMUNICATION_METHODS = ["phone", "in person", "secure message", "page"] as const;
/** Who was told of a critical result, how and when (required to sign a critical report). */
export const CriticalCommunicationInputSchema = z
  .object({
    recipient: z.string().trim().min(2, "name whom the result was communicated to").max(200),
    method: z.enum(COMMUNICATION_METHODS),
    /** ISO-8601 instant. */
    communicatedAt: z.string().datetime({ offset: true }),
  })
  .strict();
export type CriticalCommunicationInput = z.infer<typeof CriticalCommunicationInputSchema>;

export const CriticalCommunicationSchema = CriticalCommunicationInputSchema.extend({
  /** The critical terms communicated. */
  findings: z.array(z.string()),
  recordedBy: z.string(),
});
export type CriticalCommunication = z.infer<typeof CriticalCommunicationSchema>;

/** Everything the report pane shows for one study. */
export const ReportStateSchema = z.object({
  studyId: StudyIdSchema,
  status: StudyStatusSchema,
  /** The newest draft version (null before any text exists). */
  draft: DraftVersionSchema.nullable(),
  /** Findings and Impression as the AI last wrote them (reference for marking untouched AI sentences). */
  aiSections: ReportSectionsSchema.nullable(),
  /** Whether Findings or Impression differ from the AI's text (Regenerate asks before replacing them). */
  hasUserEdits: z.boolean(),
  job: DraftJobSchema,
  /** Whether a drafting engine (model pack) is loaded in this session. */
  engine: z.object({ available: z.boolean(), model: EngineModelSchema.nullable() }),
  /** Empty when the scope gate finds the study not eligible (and nobody overrode it). */
  similarCases: z.array(SimilarCaseSchema),
  /**
   * The model's findings for the study linked to the current draft (no findings when the pack has no diagnosis
   * branch or nothing was drafted).
   */
  findingReview: FindingReviewSchema,
  /** The scope gate's decision: eligible, uncertain (caution; signing asks), not eligible (no AI draft). */
  scope: ScopeAssessmentSchema,
  /** What the newest draft must fix before it can be signed (empty: nothing; computed with every state). */
  signOffIssues: z.array(SignOffIssueSchema),
  /** Critical results in the newest draft (or the signed report) and, once signed, their communication record. */
  critical: z.object({
    findings: z.array(CriticalFindingSchema),
    communication: CriticalCommunicationSchema.nullable(),
  }),
  signed: SignedReportSchema.nullable(),
  addenda: z.array(AddendumSchema),
});
export type ReportState = z.infer<typeof ReportStateSchema>;

export const SignerSchema = z.object({
  name: z.string(),
  /** account: the signed-in local account (docs/security.md), the only signer (there is no free-text name). */
  source: z.literal("account"),
});
export type Signer = z.infer<typeof SignerSchema>;

export const SignResultSchema = z.object({
  state: ReportStateSchema,
  /** Whether the signed case joined the retrieval index, and if not, why. */
  retrieval: z.object({ indexed: z.boolean(), message: z.string() }),
});
export type SignResult = z.infer<typeof SignResultSchema>;

export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  studyId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  /** The account signed in when the entry was written (its name as printed then); null when none was. */
  account: z.object({ id: z.number().int(), name: z.string() }).nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const ExportFormatSchema = z.enum(["pdf", "dicom-sr", "fhir", "text"]);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;

export const PaperSizeSchema = z.enum(["A4", "LETTER"]);
export type PaperSize = z.infer<typeof PaperSizeSchema>;

export const ExportResultSchema = z.object({
  format: ExportFormatSchema,
  fileName: z.string(),
  mimeType: z.string(),
  /** The file's bytes, base64. */
  base64: z.string(),
  byteLength: z.number().int().nonnegative(),
});
export type ExportResult = z.infer<typeof ExportResultSchema>;
