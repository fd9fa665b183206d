/**
 * Raw HTTP/1.1 over a TCP socket, for tests that send what no well-behaved client would (bad request lines, NUL
 * bytes, lying Content-Length, endless chunked bodies). Reads until the server closes the connection, or until one
 * complete response has arrived, and parses it (chunked bodies decoded, 1xx interim responses skipped).
 */
import net from "node:net";

export interface RawResponse {
  /** null when the server closed or reset the connection without an answer. */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** Interim (1xx) status codes received before the final answer. */
  interim: number[];
  /** How the exchange ended. */
  ended: "response" | "closed" | "reset" | "timeout";
  /** Bytes of the request that were written before the answer came (for streaming bodies). */
  bytesWritten: number;
}

export interface RawRequestOptions {
  /** Bytes to write first. */
  head: Buffer | string;
  /** After the head: more chunks, written while the server has not answered yet (stops at the first answer). */
  stream?: () => Buffer | null;
  /**
   * Half-close once everything is written and the server has been silent for `idleEndMs` (default 300 ms): a
   * request the server still waits on (a short body, an unfinished head) then ends. Not at once: Node's server
   * drops a request whose client half-closes before the answer.
   */
  endAfterWrite?: boolean;
  idleEndMs?: number;
  timeoutMs?: number;
}

function parse(buf: Buffer): { status: number; headers: Record<string, string>; body: string; complete: boolean }[] {
  const out: { status: number; headers: Record<string, string>; body: string; complete: boolean }[] = [];
  let rest = buf;
  while (rest.length > 0) {
    const headEnd = rest.indexOf("\r\n\r\n");
    if (headEnd === -1) break;
    const lines = rest.subarray(0, headEnd).toString("latin1").split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
    if (!m) break;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const status = Number(m[1]);
    let bodyStart = rest.subarray(headEnd + 4);
    if (status < 200) {
      out.push({ status, headers, body: "", complete: true });
      rest = bodyStart;
      continue;
    }
    if (headers["content-length"] !== undefined) {
      const n = Number(headers["content-length"]);
      out.push({
        status,
        headers,
        body: bodyStart.subarray(0, n).toString("utf8"),
        complete: bodyStart.length >= n,
      });
      rest = bodyStart.subarray(n);
      continue;
    }
    if ((headers["transfer-encoding"] ?? "").toLowerCase().includes("chunked")) {
      const parts: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = bodyStart.indexOf("\r\n");
        if (lineEnd === -1) break;
        const size = Number.parseInt(bodyStart.subarray(0, lineEnd).toString("latin1"), 16);
        if (!Number.isFinite(size)) break;
        if (size === 0) {
          complete = true;
          break;
        }
        if (bodyStart.length < lineEnd + 2 + size) break;
        parts.push(bodyStart.subarray(lineEnd + 2, lineEnd + 2 + size));
        bodyStart = bodyStart.subarray(lineEnd + 2 + size + 2);
      }
      out.push({ status, headers, body: Buffer.concat(parts).toString("utf8"), complete });
      break;
    }
    out.push({ status, headers, body: bodyStart.toString("utf8"), complete: false });
    break;
  }
  return out;
}

export function rawRequest(port: number, options: RawRequestOptions): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    let bytesWritten = 0;
    let settled = false;
    let answered = false;
    const finish = (ended: RawResponse["ended"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(idleTimer);
      socket.destroy();
      const responses = parse(Buffer.concat(chunks));
      const final = responses.find((r) => r.status >= 200);
      resolve({
        status: final ? final.status : null,
        headers: final?.headers ?? {},
        body: final?.body ?? "",
        interim: responses.filter((r) => r.status < 200).map((r) => r.status),
        ended: final ? "response" : ended,
        bytesWritten,
      });
    };
    const timer = setTimeout(() => finish("timeout"), options.timeoutMs ?? 10_000);
    let idleTimer: NodeJS.Timeout | undefined;
    const endWhenIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => socket.end(), options.idleEndMs ?? 300);
    };
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      if (idleTimer) endWhenIdle();
      const final = parse(Buffer.concat(chunks)).find((r) => r.status >= 200);
      if (final) answered = true;
      if (final?.complete) finish("response");
    });
    socket.on("end", () => finish("closed"));
    socket.on("close", () => finish("closed"));
    socket.on("error", () => finish("reset"));
    const write = (b: Buffer | string) => {
      const buf = typeof b === "string" ? Buffer.from(b, "latin1") : b;
      bytesWritten += buf.length;
      return socket.write(buf);
    };
    socket.once("connect", () => {
      write(options.head);
      const pump = () => {
        if (!options.stream) {
          if (options.endAfterWrite) endWhenIdle();
          return;
        }
        while (!answered && !settled) {
          const next = options.stream();
          if (next === null) {
            if (options.endAfterWrite) endWhenIdle();
            return;
          }
          if (!write(next)) {
            socket.once("drain", pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

/**
 * The JSON error envelope of a response, or a description of why it is not one. A tRPC batch answers with an array:
 * each of its error items must be an envelope (the first is returned).
 */
export function errorEnvelope(res: RawResponse): { message: string; code: number; dataCode: string } | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    return `body is not JSON: ${JSON.stringify(res.body.slice(0, 200))}`;
  }
  const items = Array.isArray(parsed)
    ? parsed.filter((i) => (i as { error?: unknown })?.error !== undefined)
    : [parsed];
  if (items.length === 0) return `no error item in the batch answer: ${res.body.slice(0, 200)}`;
  let first: { message: string; code: number; dataCode: string } | null = null;
  for (const item of items) {
    const error = (item as { error?: { message?: unknown; code?: unknown; data?: { code?: unknown } } }).error;
    if (!error || typeof error.message !== "string" || error.message.length === 0)
      return `no error.message: ${res.body.slice(0, 200)}`;
    if (typeof error.code !== "number") return `no numeric error.code: ${res.body.slice(0, 200)}`;
    if (typeof error.data?.code !== "string") return `no error.data.code: ${res.body.slice(0, 200)}`;
    first ??= { message: error.message, code: error.code, dataCode: error.data.code };
  }
  return first!;
}
