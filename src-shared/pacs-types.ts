/**
 * Types of the PACS (DICOMweb) area, shared by main and the renderer: connections, study search, retrieval and the
 * STOW-RS outbox. Nothing here imports Node or Electron APIs. Design: docs/pacs.md.
 */
import { z } from "zod";
import { StudyAttributesSchema } from "./domain";

/** Opaque id of a PACS connection ("pacs-" + 12 hex digits). */
export const PacsConnectionIdSchema = z
  .string()
  .regex(/^pacs-[0-9a-f]{12}$/, "a PACS connection id is 'pacs-' and 12 hex digits");

/** A DICOM UID: digits and dots, at most 64 characters (PS3.5 9.1). */
export const DicomUidSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/, "not a DICOM UID (digits and dots, no leading zeros)");

/** The DICOMweb root of a PACS, e.g. https://pacs.example.org/dicom-web (http or https, no credentials, no query). */
export const PacsBaseUrlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "not a URL (e.g. https://pacs.example.org/dicom-web)" });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      ctx.addIssue({ code: "custom", message: `the URL must be http or https, not ${url.protocol}` });
    if (url.username || url.password)
      ctx.addIssue({ code: "custom", message: "put credentials in the authentication fields, not in the URL" });
    if (url.search || url.hash) ctx.addIssue({ code: "custom", message: "the URL must not have a query or fragment" });
  })
  .transform((value) => value.replace(/\/+$/, ""));

export const PacsAuthKindSchema = z.enum(["none", "basic", "bearer"]);
export type PacsAuthKind = z.infer<typeof PacsAuthKindSchema>;

/** What the user enters for authentication. Secrets go to the secret store, never to the case database. */
export const PacsAuthInputSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }).strict(),
  z
    .object({
      kind: z.literal("basic"),
      username: z
        .string()
        .min(1)
        .max(256)
        .refine((u) => !u.includes(":"), "a Basic user name cannot contain ':'"),
      /** Omitted on update: keep the stored password. */
      password: z.string().min(1).max(4096).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("bearer"),
      /** Omitted on update: keep the stored token. */
      token: z
        .string()
        .min(1)
        .max(8192)
        .regex(/^[\x21-\x7e]+$/, "a bearer token is printable ASCII without spaces")
        .optional(),
    })
    .strict(),
]);
export type PacsAuthInput = z.infer<typeof PacsAuthInputSchema>;

/** A PEM certificate (or bundle) the connection trusts in addition to the system's CAs. */
export const PemCertificateSchema = z
  .string()
  .max(200_000)
  .refine(
    (pem) => /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem),
    "not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)",
  )
  .refine((pem) => !/PRIVATE KEY-----/.test(pem), "this is a private key: give the CA's certificate only");

export const PacsConnectionNameSchema = z.string().trim().min(1).max(100);

export const PacsConnectionInputSchema = z
  .object({
    name: PacsConnectionNameSchema,
    baseUrl: PacsBaseUrlSchema,
    auth: PacsAuthInputSchema,
    /** null or absent: the system's CAs only. */
    caCertificate: PemCertificateSchema.nullable().optional(),
    /** Also store the signed report as an Encapsulated PDF (where the PACS accepts it); absent: off, kept on update. */
    storePdf: z.boolean().optional(),
  })
  .strict();
export type PacsConnectionInput = z.infer<typeof PacsConnectionInputSchema>;

/** A connection as main shows it: never the secret itself, only whether one is stored. */
export const PacsConnectionSchema = z.object({
  id: PacsConnectionIdSchema,
  name: z.string(),
  baseUrl: z.string(),
  auth: z.object({
    kind: PacsAuthKindSchema,
    username: z.string().nullable(),
    hasSecret: z.boolean(),
  }),
  hasCaCertificate: z.boolean(),
  /** Signed reports go as DICOM SR and also as Encapsulated PDF. */
  storePdf: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PacsConnection = z.infer<typeof PacsConnectionSchema>;

export const PacsTestResultSchema = z.object({
  ok: z.boolean(),
  /** One line: what answered, or what went wrong. */
  message: z.string(),
  status: z.number().int().nullable(),
  latencyMs: z.number().nonnegative(),
});
export type PacsTestResult = z.infer<typeof PacsTestResultSchema>;

/** DICOM DA "YYYYMMDD" or ISO "YYYY-MM-DD". */
const DateInputSchema = z
  .string()
  .regex(/^\d{4}-?\d{2}-?\d{2}$/, "a date is YYYY-MM-DD")
  .transform((d) => d.replace(/-/g, ""));

/**
 * Characters a QIDO match value may hold. Orthanc 1.10 does not decode percent-encoded query values, so values are
 * sent raw: letters, digits, space and the DICOM matching characters ^ * ? , - . _ only.
 */
const QueryTextSchema = z
  .string()
  .trim()
  .max(64)
  .regex(/^[\p{L}\p{N} ^*?,._-]*$/u, "use letters, digits, spaces and ^ * ? , - . _ only");

export const PacsModalitySchema = z
  .string()
  .regex(/^[A-Z0-9]{1,16}$/, "a modality is an upper-case code such as CR or DX");

export const PacsStudyQuerySchema = z
  .object({
    connectionId: PacsConnectionIdSchema,
    dateFrom: DateInputSchema.optional(),
    dateTo: DateInputSchema.optional(),
    /** Default CR and DX (chest radiographs); an empty list: any modality. */
    modalities: z.array(PacsModalitySchema).max(10).optional(),
    patientName: QueryTextSchema.optional(),
    patientId: QueryTextSchema.optional(),
    accessionNumber: QueryTextSchema.optional(),
    limit: z.number().int().min(1).max(200).default(50),
    /** At most 10,000: deeper pages need a narrower search. */
    offset: z.number().int().min(0).max(10_000).default(0),
  })
  .strict();
export type PacsStudyQuery = z.input<typeof PacsStudyQuerySchema>;

export const PacsStudySchema = z.object({
  studyInstanceUid: z.string(),
  ...StudyAttributesSchema.shape,
  issuerOfPatientId: z.string().nullable(),
  studyTime: z.string().nullable(),
  seriesCount: z.number().int().nullable(),
  instanceCount: z.number().int().nullable(),
  /** The local study once retrieved (cached studies open without the network), else null. */
  localStudyId: z.string().nullable(),
  cached: z.enum(["no", "partial", "complete"]),
});
export type PacsStudy = z.infer<typeof PacsStudySchema>;

export const PacsStudyPageSchema = z.object({
  studies: z.array(PacsStudySchema),
  limit: z.number().int(),
  offset: z.number().int(),
  /** True when there is a next page. */
  more: z.boolean(),
});
export type PacsStudyPage = z.infer<typeof PacsStudyPageSchema>;

export const PacsRetrieveResultSchema = z.object({
  studyId: z.string(),
  studyInstanceUid: z.string(),
  /** Instances fetched over the network by this call. */
  fetched: z.number().int().nonnegative(),
  /** Instances that were already in the local cache. */
  cached: z.number().int().nonnegative(),
  /** Instances the PACS has that are not images this workstation reads (e.g. SR), left out. */
  skipped: z.number().int().nonnegative(),
  /** True when the study was complete in the cache and no request went to the PACS. */
  offline: z.boolean(),
  importFailures: z.array(z.object({ path: z.string(), reason: z.string() })),
});
export type PacsRetrieveResult = z.infer<typeof PacsRetrieveResultSchema>;

export const OutboxStateSchema = z.enum(["pending", "sending", "stored", "failed"]);
export type OutboxState = z.infer<typeof OutboxStateSchema>;

export const OutboxEntrySchema = z.object({
  id: z.number().int(),
  connectionId: z.string(),
  sopInstanceUid: z.string(),
  studyInstanceUid: z.string(),
  studyId: z.string().nullable(),
  /** sr: the report's DICOM SR; pdf: its Encapsulated PDF. */
  kind: z.enum(["sr", "pdf"]),
  byteLength: z.number().int(),
  state: OutboxStateSchema,
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  storedAt: z.string().nullable(),
});
export type OutboxEntry = z.infer<typeof OutboxEntrySchema>;

/** An earlier study of the open study's patient, on this workstation or on a PACS (issue 16.3). */
export const PriorStudySchema = z.object({
  /** local: only in the local worklist; pacs: found on a PACS (and maybe cached locally too). */
  source: z.enum(["local", "pacs"]),
  studyInstanceUid: z.string().nullable(),
  /** The local study (open it like any other), or null while a PACS study is not retrieved. */
  localStudyId: z.string().nullable(),
  connectionId: z.string().nullable(),
  connectionName: z.string().nullable(),
  ...StudyAttributesSchema.pick({ patientName: true, description: true, modalities: true }).shape,
  /** YYYY-MM-DD (not DA), or null when unknown. */
  studyDate: z.string().nullable(),
  /** Where its signed report is: signed on this workstation, an SR on the PACS, or none known. */
  report: z.enum(["local", "pacs-sr", "none"]),
});
export type PriorStudy = z.infer<typeof PriorStudySchema>;

export const PriorsResultSchema = z.object({
  studyId: z.string(),
  patientId: z.string().nullable(),
  issuerOfPatientId: z.string().nullable(),
  /** Newest first; studies without a date last. */
  priors: z.array(PriorStudySchema),
  /** What could not be searched or matched, one line each ("Department PACS: … is unreachable"). */
  warnings: z.array(z.string()),
});
export type PriorsResult = z.infer<typeof PriorsResultSchema>;

/** A signed report read from a PACS SR (a prior's report). */
export const PacsReportSchema = z.object({
  sopInstanceUid: z.string(),
  sections: z.array(z.object({ heading: z.string(), text: z.string() })),
  verifiedBy: z.string().nullable(),
  contentDateTime: z.string().nullable(),
  verified: z.boolean(),
  complete: z.boolean(),
});
export type PacsReport = z.infer<typeof PacsReportSchema>;
