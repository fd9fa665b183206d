/** Typed failures of the PACS area. Every message is one line a user can act on and never holds a secret. */
export const PACS_ERROR_CODES = [
  /** Nothing answered: DNS, connection refused, reset, network down. */
  "UNREACHABLE",
  /** The TLS handshake failed: untrusted or mismatched certificate. */
  "TLS",
  "TIMEOUT",
  /** 401: missing or wrong credentials. */
  "UNAUTHORIZED",
  /** 403. */
  "FORBIDDEN",
  /** 404, or a QIDO search that finds nothing where something must exist. */
  "NOT_FOUND",
  /** 409. */
  "CONFLICT",
  /** Another 4xx: the PACS refused the request. */
  "REFUSED",
  /** 5xx. */
  "SERVER_ERROR",
  /** The PACS answered something that is not what DICOMweb promises (bad JSON, bad multipart, not DICOM). */
  "BAD_RESPONSE",
  /** Bad input from the caller (unknown connection, bad UID, bad certificate). */
  "INVALID_INPUT",
  /** The study is not one this workstation drafts for (not a chest radiograph). */
  "OUT_OF_SCOPE",
  /** Cancelled by the user (`name === "AbortError"`). */
  "ABORTED",
] as const;
export type PacsErrorCode = (typeof PACS_ERROR_CODES)[number];

export class PacsError extends Error {
  readonly code: PacsErrorCode;
  readonly status: number | null;
  constructor(code: PacsErrorCode, message: string, options: { status?: number | null; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code === "ABORTED" ? "AbortError" : "PacsError";
    this.code = code;
    this.status = options.status ?? null;
  }
}

/** Errors worth another try later (the outbox retries these; the others need the user). */
export function isTransient(error: PacsError): boolean {
  return (
    error.code === "UNREACHABLE" ||
    error.code === "TIMEOUT" ||
    error.code === "SERVER_ERROR" ||
    error.code === "BAD_RESPONSE" ||
    (error.code === "REFUSED" && (error.status === 408 || error.status === 429))
  );
}
