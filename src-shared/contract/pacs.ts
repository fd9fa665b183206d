import { z } from "zod";
import { StudyIdSchema, StudyRefSchema } from "../domain";
import { JobIdSchema } from "../import-types";
import {
  DicomUidSchema,
  OutboxEntrySchema,
  PacsConnectionIdSchema,
  PacsConnectionInputSchema,
  PacsConnectionSchema,
  PacsReportSchema,
  PacsRetrieveResultSchema,
  PacsStudyPageSchema,
  PacsStudyQuerySchema,
  PacsTestResultSchema,
  PriorsResultSchema,
} from "../pacs-types";
import { def, NoInput } from "./define";

const ConnectionRef = z.object({ connectionId: PacsConnectionIdSchema }).strict();

export const pacsContract = {
  connections: def(
    "query",
    NoInput,
    z.object({
      connections: z.array(PacsConnectionSchema),
      secretProtection: z.string(),
      defaultConnectionId: PacsConnectionIdSchema.nullable(),
    }),
    "The DICOMweb connections (never their secrets), how secrets are kept on this machine, and the default connection that reports of local studies go to.",
  ),
  setDefaultConnection: def(
    "mutation",
    z.object({ connectionId: PacsConnectionIdSchema.nullable() }).strict(),
    z.object({ defaultConnectionId: PacsConnectionIdSchema.nullable() }),
    "Sets (null: clears) the connection that signed reports of local studies go to; a retrieved study's report always goes back to the PACS it came from.",
  ),
  addConnection: def(
    "mutation",
    PacsConnectionInputSchema,
    PacsConnectionSchema,
    "Adds a DICOMweb connection: base URL, authentication (none, HTTP Basic, bearer token), optional CA (PEM).",
  ),
  updateConnection: def(
    "mutation",
    z.object({ connectionId: PacsConnectionIdSchema, connection: PacsConnectionInputSchema }).strict(),
    PacsConnectionSchema,
    "Changes a connection; an omitted password or token keeps the stored one. Failed outbox entries retry.",
  ),
  removeConnection: def(
    "mutation",
    ConnectionRef,
    z.object({ removed: z.boolean() }),
    "Removes a connection and its secret; refused while signed reports for it wait in the outbox.",
  ),
  testConnection: def(
    "mutation",
    z.union([ConnectionRef, z.object({ connection: PacsConnectionInputSchema }).strict()]),
    PacsTestResultSchema,
    "Test connection: one QIDO-RS search (limit 1) against a saved connection or unsaved settings.",
  ),
  searchStudies: def(
    "query",
    PacsStudyQuerySchema,
    PacsStudyPageSchema,
    "QIDO-RS study search: date range, modalities (CR and DX by default), patient name or ID, accession; paged.",
  ),
  retrieveStudy: def(
    "mutation",
    z
      .object({ connectionId: PacsConnectionIdSchema, studyInstanceUid: DicomUidSchema, jobId: JobIdSchema.optional() })
      .strict(),
    PacsRetrieveResultSchema,
    "WADO-RS retrieval of a study into the local cache, then import (job-progress events under jobId); resumable; a cached study opens offline.",
  ),
  cancelRetrieve: def(
    "mutation",
    z.object({ jobId: JobIdSchema }).strict(),
    z.object({ cancelled: z.boolean() }),
    "Cancels a running retrieval (what was fetched stays cached).",
  ),
  priors: def(
    "query",
    StudyRefSchema,
    PriorsResultSchema,
    "The open study's patient's earlier studies, local and on every PACS (same Patient ID and issuer), newest first, with where their signed report is; a PACS that cannot be searched is a warning.",
  ),
  studyReport: def(
    "query",
    z.object({ connectionId: PacsConnectionIdSchema, studyInstanceUid: DicomUidSchema }).strict(),
    PacsReportSchema,
    "A PACS study's signed report: its newest verified SR, read with dcmjs (a prior's report beside the current study).",
  ),
  outbox: def(
    "query",
    z.object({ connectionId: PacsConnectionIdSchema.optional(), studyId: StudyIdSchema.optional() }).strict(),
    z.array(OutboxEntrySchema),
    "The STOW-RS outbox: pending, sending, stored and failed reports with the last error, newest first.",
  ),
  retryOutbox: def(
    "mutation",
    z.object({ id: z.number().int().positive().optional(), connectionId: PacsConnectionIdSchema.optional() }).strict(),
    z.object({ retried: z.number().int().nonnegative() }),
    "Sends failed or waiting outbox entries now.",
  ),
} as const;
