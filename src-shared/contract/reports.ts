import { z } from "zod";
import { CredentialSchema } from "../account-types";
import { StudyIdSchema, StudyRefSchema } from "../domain";
import {
  AuditEntrySchema,
  CriticalCommunicationInputSchema,
  DraftVersionSchema,
  ExportFormatSchema,
  ExportResultSchema,
  MAX_SECTION_CHARS,
  PaperSizeSchema,
  ReportSectionsSchema,
  ReportStateSchema,
  SignerSchema,
  SignResultSchema,
} from "../report-types";
import { def, NoInput } from "./define";

export const reportsContract = {
  state: def("query", StudyRefSchema, ReportStateSchema, "The report of a study: newest draft, AI job, similar cases."),
  open: def(
    "mutation",
    StudyRefSchema,
    ReportStateSchema,
    "The user opened the study: starts the AI draft in the background the first time; returns the report state.",
  ),
  save: def(
    "mutation",
    z
      .object({
        studyId: StudyIdSchema,
        sections: ReportSectionsSchema,
        /** The draft version the editor started from (null: none yet). */
        baseVersion: z.number().int().positive().nullable(),
        /** That version's revision as the editor read it (null: none yet); a stale one is refused (issue 18.6). */
        baseRevision: z.number().int().positive().nullable(),
        /** Store as a new version, never into the newest one (keeping one's text after a draft conflict). */
        asNewVersion: z.boolean().optional(),
        origin: z.enum(["user", "insert"]),
      })
      .strict(),
    ReportStateSchema.extend({ saved: z.boolean() }),
    "Autosave: a new draft version unless identical to the newest; merges with versions written meanwhile; a stale revision is refused with CONFLICT and data.draftConflict.",
  ),
  regenerate: def(
    "mutation",
    z.object({ studyId: StudyIdSchema, replaceUserEdits: z.boolean() }).strict(),
    ReportStateSchema,
    "Drafts Findings and Impression again; replacing the user's edits needs replaceUserEdits.",
  ),
  suggestImpression: def(
    "mutation",
    z.object({ studyId: StudyIdSchema, replaceUserText: z.boolean() }).strict(),
    ReportStateSchema,
    "Drafts the Impression again from the Findings as edited (AI text); replacing the user's Impression needs replaceUserText.",
  ),
  cancel: def("mutation", StudyRefSchema, ReportStateSchema, "Stops the running AI draft of a study."),
  versions: def("query", StudyRefSchema, z.array(DraftVersionSchema), "Every draft version of a study, newest first."),
  restore: def(
    "mutation",
    z.object({ studyId: StudyIdSchema, version: z.number().int().positive() }).strict(),
    ReportStateSchema,
    "Makes an older draft version the newest again.",
  ),
  signer: def(
    "query",
    NoInput,
    SignerSchema,
    "The signing radiologist: the signed-in, unlocked account (refused with no account or when locked).",
  ),
  sign: def(
    "mutation",
    z
      .object({
        studyId: StudyIdSchema,
        version: z.number().int().positive(),
        /** The user confirmed an AI-assisted report of an uncertain or overridden study (scope gate). */
        confirmScope: z.boolean().optional(),
        /** The user attests that they reviewed the AI-drafted sentences left unchanged (required while any remain). */
        attestUntouchedAi: z.boolean().optional(),
        /** Required when the report holds a critical result: to whom, how and when it was communicated. */
        criticalCommunication: CriticalCommunicationInputSchema.optional(),
        /** Once an account exists: the signed-in account's password or PIN (docs/security.md). */
        credential: CredentialSchema.optional(),
      })
      .strict(),
    SignResultSchema,
    "Signs the reviewed draft version (refused while the sign-off checks find something to fix): locks it, audits it, adds the case to the retrieval index.",
  ),
  criticalFindings: def(
    "query",
    NoInput,
    z.array(z.string()),
    "The configurable list of critical findings (default: pneumothorax, free air and its wordings).",
  ),
  setCriticalFindings: def(
    "mutation",
    z.object({ findings: z.array(z.string().trim().min(2).max(80)).max(100) }).strict(),
    z.array(z.string()),
    "Sets the list of critical findings (audited).",
  ),
  overrideScope: def(
    "mutation",
    z.object({ studyId: StudyIdSchema, reason: z.string().max(500) }).strict(),
    ReportStateSchema,
    "Overrides the scope gate's 'not eligible' for a study: the AI may draft it (audited, printed in every export).",
  ),
  addAddendum: def(
    "mutation",
    z
      .object({
        studyId: StudyIdSchema,
        text: z.string().trim().min(1).max(MAX_SECTION_CHARS),
        credential: CredentialSchema.optional(),
      })
      .strict(),
    ReportStateSchema,
    "Adds an addendum to a signed report (once an account exists, with its password or PIN).",
  ),
  audit: def("query", StudyRefSchema, z.array(AuditEntrySchema), "The audit log of a study, oldest first."),
  export: def(
    "mutation",
    z.object({ studyId: StudyIdSchema, format: ExportFormatSchema, paper: PaperSizeSchema.optional() }).strict(),
    ExportResultSchema,
    "The signed report as PDF, DICOM SR, FHIR R4 DiagnosticReport or plain text (base64 bytes, file name, MIME).",
  ),
} as const;
