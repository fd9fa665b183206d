/**
 * A small typed DICOMweb client (QIDO-RS, WADO-RS, STOW-RS; PS3.18) on undici's fetch, for the main process and the
 * CLIs. OHIF's `dicomweb-client` is XMLHttpRequest-only and percent-encodes `^`, which Orthanc 1.10 does not decode;
 * here query values are sent raw (they are validated to a safe set of characters first). A custom CA (PEM) goes to
 * undici's Agent as `connect.ca`; credentials travel only in the Authorization header and never appear in errors.
 * WADO-RS multipart/related bodies are parsed as a stream (@remix-run/multipart-parser), one part at a time.
 */
import crypto from "node:crypto";
import tls from "node:tls";
import type { Agent, Response } from "undici";
import { type DicomJsonDataset, parseQidoBody } from "./dicom-json";
import { PacsError } from "./errors";

/** undici and the multipart parser load at a client's first request, not at start-up (issue 19.4). */
let undiciModule: Promise<typeof import("undici")> | null = null;
const loadUndici = () => {
  undiciModule ??= import("undici");
  return undiciModule;
};

export type DicomWebAuth =
  | { kind: "none" }
  | { kind: "basic"; username: string; password: string }
  | { kind: "bearer"; token: string };

export interface DicomWebClientOptions {
  /** The DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web (no trailing slash needed). */
  baseUrl: string;
  auth: DicomWebAuth;
  /** PEM certificate(s) trusted in addition to the system CAs. */
  caCertificate?: string | null;
  /** Per request: connect + headers (default 15 s); a body keeps streaming while data arrives. */
  timeoutMs?: number;
  /** Largest single instance accepted from WADO-RS (default 1 GiB). */
  maxInstanceBytes?: number;
}

/** One QIDO parameter: a key (attribute keyword, tag or QIDO keyword) and a value sent unencoded. */
export type QidoParam = readonly [key: string, value: string];

export interface StowOutcome {
  status: number;
  /** SOP Instance UIDs the PACS says it stored (ReferencedSOPSequence). */
  stored: string[];
  /** Instances it refused, with the DICOM failure reason (0xA7xx, 0xC000, 0x0111 = duplicate, ...). */
  failed: Array<{ sopInstanceUid: string | null; reason: number | null }>;
}

const KEY = /^[A-Za-z0-9]{1,64}$/;
/** Raw QIDO values: letters, digits and the DICOM matching characters; spaces become the one-character wildcard. */
const VALUE = /^[\p{L}\p{N}^*?,._-]*$/u;
const UID = /^[0-9.]{1,64}$/;

/** Encodes a value for a QIDO query without percent-encoding ^ * ? , - (Orthanc 1.10 does not decode them). */
export function qidoValue(value: string): string {
  const v = value.trim().replace(/\s+/g, "?");
  if (!VALUE.test(v))
    throw new PacsError("INVALID_INPUT", `query value "${value}" has characters a PACS search cannot take`);
  // Non-ASCII letters must be percent-encoded in a URL; ASCII goes as it is.
  return v.replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c));
}

function checkUid(uid: string, what: string): string {
  if (!UID.test(uid)) throw new PacsError("INVALID_INPUT", `${what} "${uid}" is not a DICOM UID`);
  return uid;
}

/** Where a URL points, for messages (origin + path, never credentials). */
function where(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "EPROTO",
]);

/** Turns a network failure of fetch into a PacsError naming what happened. */
export function networkError(error: unknown, url: string, signal?: AbortSignal): PacsError {
  if (error instanceof PacsError) return error;
  if (signal?.aborted) return new PacsError("ABORTED", `request to ${where(url)} was cancelled`);
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const code = String((cause as { code?: unknown })?.code ?? "");
  const detail = (cause as Error)?.message ?? String(cause);
  if (TLS_CODES.has(code) || /certificate|SSL|TLS/i.test(detail))
    return new PacsError("TLS", `${where(url)}: TLS failed (${code || detail}); check the URL and the CA certificate`, {
      cause,
    });
  if (code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT")
    return new PacsError("TIMEOUT", `${where(url)} did not answer in time (${code})`, { cause });
  const what =
    code === "ECONNREFUSED"
      ? "connection refused"
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? "host not found"
        : code === "ECONNRESET" || code === "UND_ERR_SOCKET"
          ? "connection reset"
          : code || detail;
  return new PacsError("UNREACHABLE", `${where(url)} is unreachable (${what})`, { cause });
}

async function statusError(res: Response, url: string, what: string): Promise<PacsError> {
  let body = "";
  try {
    body = (await res.text()).replace(/\s+/g, " ").trim().slice(0, 200);
  } catch {
    /* no body */
  }
  const s = res.status;
  const head = `${what}: ${where(url)} answered ${s}${res.statusText ? ` ${res.statusText}` : ""}`;
  if (s === 401) return new PacsError("UNAUTHORIZED", `${head} (wrong or missing credentials)`, { status: s });
  if (s === 403) return new PacsError("FORBIDDEN", `${head} (this user may not do that)`, { status: s });
  if (s === 404) return new PacsError("NOT_FOUND", head, { status: s });
  if (s === 409) return new PacsError("CONFLICT", head, { status: s });
  const tail = body && !body.startsWith("{") && !body.startsWith("<") ? ` — ${body}` : "";
  if (s >= 500) return new PacsError("SERVER_ERROR", `${head}${tail}`, { status: s });
  return new PacsError("REFUSED", `${head}${tail}`, { status: s });
}

export class DicomWebClient {
  readonly baseUrl: string;
  /** Made at the first request (with undici); `makeAgent` holds the options checked in the constructor. */
  private agent: Promise<Agent> | null = null;
  private readonly makeAgent: (undici: typeof import("undici")) => Agent;
  private readonly authorization: string | null;
  private readonly timeoutMs: number;
  private readonly maxInstanceBytes: number;

  constructor(options: DicomWebClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new PacsError("INVALID_INPUT", `"${options.baseUrl}" is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new PacsError("INVALID_INPUT", `${options.baseUrl}: a DICOMweb URL is http or https`);
    if (url.username || url.password || url.search || url.hash)
      throw new PacsError("INVALID_INPUT", "a DICOMweb URL has no credentials, query or fragment");
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxInstanceBytes = options.maxInstanceBytes ?? 1024 * 1024 * 1024;
    const ca = options.caCertificate ?? null;
    if (ca !== null) {
      try {
        tls.createSecureContext({ ca });
      } catch (error) {
        throw new PacsError("INVALID_INPUT", `the CA certificate cannot be used: ${(error as Error).message}`);
      }
    }
    const timeoutMs = this.timeoutMs;
    this.makeAgent = ({ Agent }) =>
      new Agent({
        connect: { timeout: timeoutMs, ...(ca ? { ca: [...tls.rootCertificates, ca] } : {}) },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs * 4,
        keepAliveTimeout: 4_000,
      });
    const a = options.auth;
    this.authorization =
      a.kind === "basic"
        ? `Basic ${Buffer.from(`${a.username}:${a.password}`, "utf8").toString("base64")}`
        : a.kind === "bearer"
          ? `Bearer ${a.token}`
          : null;
  }

  async close(): Promise<void> {
    if (this.agent) await (await this.agent).close();
  }

  private dispatcher(): Promise<Agent> {
    this.agent ??= loadUndici().then(this.makeAgent);
    return this.agent;
  }

  private async request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: Uint8Array; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.authorization) headers.authorization = this.authorization;
    const [{ fetch }, dispatcher] = await Promise.all([loadUndici(), this.dispatcher()]);
    try {
      return await fetch(url, {
        method: init.method ?? "GET",
        headers,
        body: init.body,
        signal: init.signal,
        dispatcher,
        redirect: "error",
      });
    } catch (error) {
      throw networkError(error, url, init.signal);
    }
  }

  private url(path: string, params: readonly QidoParam[] = []): string {
    const query = params
      .map(([k, v]) => {
        if (!KEY.test(k)) throw new PacsError("INVALID_INPUT", `"${k}" is not a QIDO query key`);
        return `${k}=${qidoValue(v)}`;
      })
      .join("&");
    return `${this.baseUrl}${path}${query ? `?${query}` : ""}`;
  }

  /** GET a QIDO-RS resource: an array of DICOM JSON datasets. */
  async qido(path: string, params: readonly QidoParam[], signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    const url = this.url(path, params);
    const res = await this.request(url, { headers: { accept: "application/dicom+json" }, signal });
    if (res.status === 204) return [];
    if (!res.ok) throw await statusError(res, url, "search");
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw networkError(error, url, signal);
    }
    return parseQidoBody(text, `search ${where(url)}`);
  }

  searchStudies(params: readonly QidoParam[], signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.qido("/studies", params, signal);
  }

  searchSeries(studyUid: string, params: readonly QidoParam[] = [], signal?: AbortSignal): Promise<DicomJsonDataset[]> {
    return this.qido(`/studies/${checkUid(studyUid, "StudyInstanceUID")}/series`, params, signal);
  }

  searchInstances(
    studyUid: string | null,
    params: readonly QidoParam[] = [],
    signal?: AbortSignal,
  ): Promise<DicomJsonDataset[]> {
    const path = studyUid ? `/studies/${checkUid(studyUid, "StudyInstanceUID")}/instances` : "/instances";
    return this.qido(path, params, signal);
  }

  /** WADO-RS of one instance as stored (transfer-syntax=*): its Part 10 bytes. */
  async retrieveInstance(
    studyUid: string,
    seriesUid: string,
    sopUid: string,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const url = `${this.baseUrl}/studies/${checkUid(studyUid, "StudyInstanceUID")}/series/${checkUid(seriesUid, "SeriesInstanceUID")}/instances/${checkUid(sopUid, "SOPInstanceUID")}`;
    const res = await this.request(url, {
      headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
      signal,
    });
    if (!res.ok) throw await statusError(res, url, "retrieve");
    const parts: Uint8Array[] = [];
    try {
      for await (const part of this.multipart(res, url)) parts.push(part);
    } catch (error) {
      if (error instanceof PacsError) throw error;
      throw networkError(error, url, signal);
    }
    if (parts.length !== 1)
      throw new PacsError("BAD_RESPONSE", `retrieve ${where(url)}: ${parts.length} parts instead of one instance`);
    const bytes = parts[0] as Uint8Array;
    if (bytes.length < 132 || Buffer.from(bytes.subarray(128, 132)).toString("latin1") !== "DICM")
      throw new PacsError("BAD_RESPONSE", `retrieve ${where(url)}: the part is not a DICOM Part 10 file`);
    return bytes;
  }

  private async *multipart(res: Response, url: string): AsyncGenerator<Uint8Array> {
    const { getMultipartBoundary, MultipartParseError, parseMultipartStream } = await import(
      "@remix-run/multipart-parser"
    );
    const type = res.headers.get("content-type") ?? "";
    if (!/^multipart\/related/i.test(type))
      throw new PacsError(
        "BAD_RESPONSE",
        `retrieve ${where(url)}: answered ${type || "no content type"}, not multipart/related`,
      );
    const boundary = getMultipartBoundary(type);
    if (!boundary || !res.body)
      throw new PacsError("BAD_RESPONSE", `retrieve ${where(url)}: multipart without a boundary`);
    try {
      for await (const part of parseMultipartStream(res.body as unknown as ReadableStream<Uint8Array>, {
        boundary,
        maxFileSize: this.maxInstanceBytes,
        maxTotalSize: this.maxInstanceBytes * 4,
        maxParts: 10_000,
      })) {
        const partType = part.headers["content-type"] ?? "application/dicom";
        if (!/^application\/dicom\b/i.test(partType))
          throw new PacsError("BAD_RESPONSE", `retrieve ${where(url)}: a part is ${partType}, not application/dicom`);
        yield part.bytes;
      }
    } catch (error) {
      if (error instanceof MultipartParseError)
        throw new PacsError("BAD_RESPONSE", `retrieve ${where(url)}: damaged multipart body (${error.message})`);
      throw error;
    }
  }

  /** STOW-RS of Part 10 instances (one request). A 409 with a failure list is returned, not thrown. */
  async store(instances: readonly Uint8Array[], signal?: AbortSignal): Promise<StowOutcome> {
    const url = `${this.baseUrl}/studies`;
    const boundary = `rd-${crypto.randomBytes(12).toString("hex")}`;
    const chunks: Buffer[] = [];
    for (const bytes of instances) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`));
      chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      chunks.push(Buffer.from("\r\n"));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    const res = await this.request(url, {
      method: "POST",
      headers: {
        "content-type": `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: "application/dicom+json",
      },
      body: Buffer.concat(chunks),
      signal,
    });
    if (!res.ok && res.status !== 409 && res.status !== 202) throw await statusError(res, url, "store");
    let text = "";
    try {
      text = await res.text();
    } catch (error) {
      throw networkError(error, url, signal);
    }
    const [body] = text.trim() ? parseStowBody(text, url) : [{}];
    const seq = (tag: string) =>
      ((body as Record<string, { Value?: unknown[] }>)[tag]?.Value ?? []) as Record<string, { Value?: unknown[] }>[];
    const stored = seq("00081199").flatMap((item) => {
      const v = item["00081155"]?.Value?.[0];
      return typeof v === "string" ? [v] : [];
    });
    const failed = seq("00081198").map((item) => {
      const v = item["00081155"]?.Value?.[0];
      const r = item["00081197"]?.Value?.[0];
      return { sopInstanceUid: typeof v === "string" ? v : null, reason: typeof r === "number" ? r : null };
    });
    return { status: res.status, stored, failed };
  }
}

function parseStowBody(text: string, url: string): DicomJsonDataset[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PacsError("BAD_RESPONSE", `store ${where(url)}: the answer is not JSON`);
  }
  // STOW answers one dataset (some servers wrap it in an array).
  return parseQidoBody(JSON.stringify(Array.isArray(json) ? json : [json]), `store ${where(url)}`);
}
