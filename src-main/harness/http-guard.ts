/**
 * The loopback harness's door: what a request must look like before any route sees it, and the one error envelope
 * every refusal uses. Errors are tRPC's shape, so the tRPC client reads them too:
 *   {"error": {"message": "...", "code": -32600, "data": {"code": "BAD_REQUEST", "httpStatus": 400}}}
 * Messages never carry a stack or an absolute path (redactPaths); the full story goes to the server log.
 */
import type http from "node:http";
import type { Duplex } from "node:stream";
import { type TRPC_ERROR_CODE_KEY, TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { redactPaths } from "../security/redact";

/** Longest request target accepted (path + query). Node's own header limit (16 KiB) is the hard stop above it. */
export const MAX_URL_LENGTH = 8 * 1024;
/** Largest request body (bytes). The largest real one, import.paths with 1,000 paths, is well under 8 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Most procedures in one tRPC batch call (the renderer batches a handful). */
export const MAX_BATCH_CALLS = 64;

export type HttpErrorCode = TRPC_ERROR_CODE_KEY | "URI_TOO_LONG" | "HEADERS_TOO_LARGE" | "GONE" | "EXPECTATION_FAILED";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    /**
     * The rest of the request body is read and discarded (not held) after the answer, so the client, still
     * sending, receives the answer instead of a connection reset. Otherwise the connection closes after it.
     */
    readonly drainBody = false,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Payload Too Large",
  414: "URI Too Long",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
};

/** The JSON body of an error response. */
export function errorBody(status: number, code: HttpErrorCode, message: string): string {
  const rpcCode =
    code in TRPC_ERROR_CODES_BY_KEY
      ? TRPC_ERROR_CODES_BY_KEY[code as TRPC_ERROR_CODE_KEY]
      : TRPC_ERROR_CODES_BY_KEY.BAD_REQUEST;
  return JSON.stringify({
    error: { message: redactPaths(message), code: rpcCode, data: { code, httpStatus: status } },
  });
}

/** Writes an error response (JSON, no-store) unless one is already under way. */
export function sendError(res: http.ServerResponse, status: number, code: HttpErrorCode, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(status, code, message);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  res.end(body);
}

export interface RequestTarget {
  /** The path, percent-decoded once, e.g. "/files/abc". */
  pathname: string;
  /** The raw query string without "?" ("" when none). */
  query: string;
}

/**
 * Parses a request target in origin form ("/path?query"). Throws HttpError 414 for an overlong target and 400 for
 * anything else malformed: absolute or authority form, bad percent-encoding, NUL or other control characters.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget {
  const target = raw ?? "";
  if (target.length > MAX_URL_LENGTH)
    throw new HttpError(414, "URI_TOO_LONG", `the request URL is longer than ${MAX_URL_LENGTH} characters`);
  if (!target.startsWith("/") || target.startsWith("//"))
    throw new HttpError(400, "BAD_REQUEST", "the request URL must be a path starting with a single /");
  const q = target.indexOf("?");
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? "" : target.slice(q + 1);
  let pathname: string;
  try {
    pathname = decodeURIComponent(rawPath);
  } catch {
    throw new HttpError(400, "BAD_REQUEST", "the request URL has malformed percent-encoding");
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(pathname) || /[\u0000-\u001f\u007f]/.test(query))
    throw new HttpError(400, "BAD_REQUEST", "the request URL holds control characters");
  try {
    // The query must decode too (tRPC reads it with URLSearchParams, which would pass bad escapes on silently).
    decodeURIComponent(query.replace(/\+/g, " "));
  } catch {
    throw new HttpError(400, "BAD_REQUEST", "the request URL's query has malformed percent-encoding");
  }
  return { pathname, query };
}

/** Refuses a declared body over the limit before any of it is read. */
export function checkDeclaredLength(req: http.IncomingMessage, maxBytes: number): void {
  const declared = req.headers["content-length"];
  if (declared === undefined) return;
  const n = Number(declared);
  if (!/^\d+$/.test(declared) || !Number.isSafeInteger(n))
    throw new HttpError(400, "BAD_REQUEST", "the Content-Length header is not a number");
  if (n > maxBytes)
    throw new HttpError(413, "PAYLOAD_TOO_LARGE", `the request body is larger than ${maxBytes} bytes (${n} declared)`);
}

/**
 * Reads a request body up to `maxBytes`, stopping (413) as soon as a chunked or lying body passes it: never more
 * than the limit is held in memory. The body must be UTF-8.
 */
export function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: HttpError | null) => {
      if (done) return;
      done = true;
      req.off("data", onData);
      if (err) return reject(err);
      try {
        resolve(new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks, size)));
      } catch {
        reject(new HttpError(400, "BAD_REQUEST", "the request body is not valid UTF-8"));
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes)
        return finish(
          new HttpError(413, "PAYLOAD_TOO_LARGE", `the request body is larger than ${maxBytes} bytes`, true),
        );
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => finish(null));
    req.once("aborted", () => finish(new HttpError(400, "BAD_REQUEST", "the request body was cut off")));
    req.once("error", () => finish(new HttpError(400, "BAD_REQUEST", "the request body could not be read")));
  });
}

/**
 * Node's answer to a request its HTTP parser refuses (bad request line, bad header, header block over 16 KiB,
 * header timeout): the same JSON envelope, then the connection is closed.
 */
export function answerClientError(err: NodeJS.ErrnoException & { code?: string }, socket: Duplex): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message]: [number, HttpErrorCode, string] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "HEADERS_TOO_LARGE", "the request's header block is too large"]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "ERR_HTTP_HEADERS_TIMEOUT"
        ? [408, "TIMEOUT", "the request did not arrive in time"]
        : [400, "BAD_REQUEST", `malformed HTTP request (${err.code ?? "parse error"})`];
  writeRawError(socket, status, code, message);
}

/** An error response written straight onto a socket (no ServerResponse: parser errors, refused upgrades). */
export function writeRawError(socket: Duplex, status: number, code: HttpErrorCode, message: string): void {
  const body = errorBody(status, code, message);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Cache-Control: no-store\r\n" +
      "Connection: close\r\n\r\n" +
      body,
  );
}
