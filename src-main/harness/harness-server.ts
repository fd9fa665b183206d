/**
 * Loopback harness: the same router and services as the Electron shell, served to a browser on 127.0.0.1.
 * - GET /...                 the built renderer (static files, strict CSP)
 * - /trpc/<procedure>        queries and mutations (HTTP), Authorization: Bearer <token>
 * - /trpc-ws?token=<token>   subscriptions (WebSocket)
 * - GET /files/<imageId>     an imported image file's bytes (Authorization: Bearer <token>), for the viewer
 * Every API call must carry the per-run secret token, and requests from another origin (or host) are refused.
 * With nobody signed in, only the sign-in screens' procedures are answered, and no image file (ipc/sign-in-gate.ts).
 * Malformed requests (bad URL, bad encoding, oversized headers or bodies, wrong methods) are answered with a 4xx
 * and the JSON error envelope of http-guard.ts; nothing a client sends can stop the process (docs/security.md).
 * Start-up (issue 19.4): the server listens and serves the renderer before the services exist. `services` may be a
 * promise; the router, tRPC adapters and file service load after listening, and every API call and socket waits for
 * them (and for the services) instead of failing (docs/viewer.md, "Start-up").
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import { HARNESS_FILES_PATH } from "../../src-shared/import-types";
import { signedInRefusal } from "../ipc/sign-in-gate";
import { contentSecurityPolicy } from "../security/csp";
import type { Services } from "../services";
import type { ImageFileError } from "../services/files/files-service";
import {
  answerClientError,
  checkDeclaredLength,
  DEFAULT_MAX_BODY_BYTES,
  HttpError,
  type HttpErrorCode,
  MAX_BATCH_CALLS,
  parseRequestTarget,
  readBody,
  sendError,
  writeRawError,
} from "./http-guard";

export interface HarnessOptions {
  /** The services, or their promise: the harness listens at once and API calls wait for them. */
  services: Services | Promise<Services>;
  /** Folder with the built renderer (index.html + assets). */
  rendererDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Per-run secret; generated when absent. */
  token?: string;
  /** Largest request body in bytes (default 8 MiB); larger ones are refused with 413 before they are buffered. */
  maxBodyBytes?: number;
  /** The server log: full messages and stacks of errors the responses only summarise (default: stderr). */
  log?: (line: string) => void;
  /** Called with the procedure path (e.g. "studies.list,app.info") after each HTTP API call is answered. */
  onAnswered?: (procedurePath: string) => void;
}

export interface Harness {
  /** Origin, e.g. http://127.0.0.1:5173 */
  origin: string;
  /** URL to open: the origin with the token in the fragment (never sent to the server in requests). */
  url: string;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".woff2": "font/woff2",
  ".ico": "image/x-icon",
};

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb);
}

/** What the API needs beyond the HTTP server; imported after listening so that start-up does not wait for it. */
interface Api {
  nodeHTTPRequestHandler: typeof import("@trpc/server/adapters/node-http").nodeHTTPRequestHandler;
  appRouter: typeof import("../ipc/router").appRouter;
  wss: import("ws").WebSocketServer;
  readImageOptionsFor: typeof import("../services/files/files-service").readImageOptionsFor;
  ImageFileError: typeof import("../services/files/files-service").ImageFileError;
}

const IMAGE_FILE_CODES: Record<ImageFileError["status"], HttpErrorCode> = {
  400: "BAD_REQUEST",
  404: "NOT_FOUND",
  409: "CONFLICT",
  410: "GONE",
  413: "PAYLOAD_TOO_LARGE",
};

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const host = options.host ?? "127.0.0.1";
  if (host !== "127.0.0.1" && host !== "::1" && host !== "localhost") {
    throw new Error(`the harness only listens on loopback, not on ${host}`);
  }
  const token = options.token ?? crypto.randomBytes(24).toString("base64url");
  const rendererDir = path.resolve(options.rendererDir);
  if (!fs.existsSync(path.join(rendererDir, "index.html"))) {
    throw new Error(`no built renderer in ${rendererDir} (run "npm run build" first)`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? ((line: string) => console.error(line));
  const services = Promise.resolve(options.services);
  // Unhandled until the first API call awaits it; whoever builds the services reports their failure.
  services.catch(() => undefined);
  /** The router, the tRPC adapters and the file service: loaded after listening (see loadApi). */
  let api: Promise<Api> | null = null;
  const apiReady = (): Promise<Api> => {
    api ??= loadApi();
    return api;
  };
  const createContext = async () => ({ services: await services });
  let origin = "";
  let allowedHosts: string[] = [];

  /** Refuses other origins and DNS-rebinding hosts. */
  const checkOrigin = (req: http.IncomingMessage): void => {
    // Node keeps the first of several Host headers; a request with two is refused outright.
    if (req.rawHeaders.filter((_, i) => i % 2 === 0 && req.rawHeaders[i]!.toLowerCase() === "host").length > 1)
      throw new HttpError(400, "BAD_REQUEST", "more than one Host header");
    const hostHeader = req.headers.host ?? "";
    if (!allowedHosts.includes(hostHeader))
      throw new HttpError(403, "FORBIDDEN", `host ${hostHeader.slice(0, 100) || "(none)"} is not this harness`);
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && reqOrigin !== origin && reqOrigin !== origin.replace("127.0.0.1", "localhost")) {
      throw new HttpError(403, "FORBIDDEN", `origin ${reqOrigin.slice(0, 100)} is not allowed`);
    }
  };

  const hasToken = (req: http.IncomingMessage): boolean => {
    const auth = req.headers.authorization ?? "";
    const given = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    return given !== "" && safeEqual(given, token);
  };
  const requireToken = (req: http.IncomingMessage): void => {
    if (!hasToken(req)) throw new HttpError(401, "UNAUTHORIZED", "missing or wrong harness token");
  };
  const requireMethod = (req: http.IncomingMessage, allowed: readonly string[]): void => {
    if (!allowed.includes(req.method ?? ""))
      throw new HttpError(405, "METHOD_NOT_SUPPORTED", `method ${String(req.method).slice(0, 20)} is not allowed here`);
  };

  const csp = () => contentSecurityPolicy({ connectSrc: [origin.replace(/^http/, "ws")] });

  const serveStatic = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => {
    requireMethod(req, ["GET", "HEAD"]);
    const rel = pathname === "/" ? "index.html" : pathname.replace(/^\/+/, "");
    const file = path.resolve(rendererDir, rel);
    if (!file.startsWith(rendererDir + path.sep)) throw new HttpError(403, "FORBIDDEN", "path outside the renderer");
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) return sendError(res, 404, "NOT_FOUND", "no such file in the renderer");
      res.writeHead(200, {
        "content-type": MIME[path.extname(file)] ?? "application/octet-stream",
        "content-length": st.size,
        "content-security-policy": csp(),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
        "cache-control": "no-store",
      });
      if (req.method === "HEAD") return res.end();
      const stream = fs.createReadStream(file);
      stream.on("error", () => res.destroy());
      stream.pipe(res);
    });
  };

  /**
   * GET /files/<imageId>: only images recorded in the case database, by id, unchanged since import
   * (`?for=viewer`: a compressed file's decoded copy where one is ready; `?for=viewer-preview`: its reduced-resolution
   * copy; FilesService);
   * GET /files/thumbnail/<studyId>: a similar case's thumbnail from the retrieval index.
   */
  const serveImageFile = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
    query: string,
  ) => {
    requireMethod(req, ["GET", "HEAD"]);
    const imageId = pathname.slice(HARNESS_FILES_PATH.length);
    const { readImageOptionsFor, ImageFileError } = await apiReady();
    const read = readImageOptionsFor(new URLSearchParams(query).get("for"));
    const { files, accounts } = await services;
    // No account, no image (sign-in-gate.ts): the same rule as the API's and the Electron shell's rd-image://.
    const refusal = signedInRefusal(accounts, "the file channel");
    if (refusal) throw new HttpError(401, "UNAUTHORIZED", refusal);
    files.readFile(imageId, read).then(
      (file) => {
        res.writeHead(200, {
          "content-type": file.contentType,
          "content-length": file.bytes.length,
          "x-content-type-options": "nosniff",
          "cache-control": "no-store",
          "cross-origin-resource-policy": "same-origin",
        });
        res.end(req.method === "HEAD" ? undefined : file.bytes);
      },
      (err: unknown) => {
        if (err instanceof ImageFileError) return sendError(res, err.status, IMAGE_FILE_CODES[err.status], err.message);
        log(`[server error] GET ${HARNESS_FILES_PATH}${imageId}: ${(err as Error)?.stack ?? String(err)}`);
        sendError(res, 500, "INTERNAL_SERVER_ERROR", "the image could not be served (details in the server log)");
      },
    );
  };

  /** /trpc/<procedure>[,<procedure>...]: the body is read here, under the limit, and handed to tRPC parsed. */
  const serveTrpc = async (req: http.IncomingMessage, res: http.ServerResponse, procedurePath: string) => {
    requireMethod(req, ["GET", "POST"]);
    if (procedurePath.split(",").length > MAX_BATCH_CALLS)
      throw new HttpError(400, "BAD_REQUEST", `at most ${MAX_BATCH_CALLS} procedures in one batch call`);
    const text = await readBody(req, maxBodyBytes);
    const request = req as http.IncomingMessage & { body?: unknown };
    if (req.method === "POST") {
      let body: unknown;
      try {
        body = text.length === 0 ? undefined : JSON.parse(text);
      } catch {
        throw new HttpError(400, "PARSE_ERROR", "the request body is not valid JSON");
      }
      request.body = body;
      // tRPC takes a body it finds on the request as already parsed when the content type says JSON.
      req.headers["content-type"] = "application/json";
    } else {
      request.body = undefined;
    }
    const { nodeHTTPRequestHandler, appRouter } = await apiReady();
    // The services first: a call during start-up waits for them rather than failing.
    await services;
    await nodeHTTPRequestHandler({
      req,
      res,
      router: appRouter,
      createContext,
      path: procedurePath,
      maxBodySize: maxBodyBytes,
    });
    options.onAnswered?.(procedurePath);
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { pathname, query } = parseRequestTarget(req.url);
    checkOrigin(req);
    checkDeclaredLength(req, maxBodyBytes);
    if (pathname.startsWith(HARNESS_FILES_PATH)) {
      requireToken(req);
      return serveImageFile(req, res, pathname, query);
    }
    if (pathname.startsWith("/trpc/")) {
      requireToken(req);
      return serveTrpc(req, res, pathname.slice("/trpc/".length));
    }
    serveStatic(req, res, pathname);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.on("error", () => res.destroy());
    res.on("error", () => res.destroy());
    const fail = (err: unknown) => {
      if (err instanceof HttpError) {
        if (err.drainBody) {
          // Node discards the unread rest of the body once the answer is out (bounded by requestTimeout).
          req.resume();
        } else if (err.status === 413 || err.status === 400) {
          // The body was never read: close the connection once the answer is out.
          res.setHeader("connection", "close");
        }
        return sendError(res, err.status, err.code, err.message);
      }
      log(`[server error] ${req.method} ${String(req.url).slice(0, 200)}: ${(err as Error)?.stack ?? String(err)}`);
      sendError(res, 500, "INTERNAL_SERVER_ERROR", "internal error (details in the server log)");
    };
    try {
      route(req, res).catch(fail);
    } catch (err) {
      fail(err);
    }
  };

  // requireHostHeader off: a missing Host is refused by checkOrigin, with the same envelope as every other refusal.
  const server = http.createServer({ maxHeaderSize: 16 * 1024, requireHostHeader: false }, handle);
  server.headersTimeout = 15_000;
  server.requestTimeout = 60_000;
  server.on("clientError", answerClientError);
  // "Expect: 100-continue": an oversized body is refused before the client sends it.
  server.on("checkContinue", (req, res) => {
    try {
      checkDeclaredLength(req, maxBodyBytes);
    } catch (err) {
      res.setHeader("connection", "close");
      return sendError(res, (err as HttpError).status, (err as HttpError).code, (err as Error).message);
    }
    res.writeContinue();
    handle(req, res);
  });

  server.on("checkExpectation", (req, res) => {
    res.setHeader("connection", "close");
    sendError(res, 417, "EXPECTATION_FAILED", `unsupported Expect: ${String(req.headers.expect).slice(0, 40)}`);
  });

  /** The socket server and its tRPC handler, made with the rest of the API after listening. */
  let sockets: { wss: import("ws").WebSocketServer; broadcastReconnectNotification(): void } | null = null;
  const loadApi = async (): Promise<Api> => {
    const [{ nodeHTTPRequestHandler }, { applyWSSHandler }, { WebSocketServer }, { appRouter }, files] =
      await Promise.all([
        import("@trpc/server/adapters/node-http"),
        import("@trpc/server/adapters/ws"),
        import("ws"),
        import("../ipc/router"),
        import("../services/files/files-service"),
      ]);
    const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
    const wsHandler = applyWSSHandler({ wss, router: appRouter, createContext });
    sockets = { wss, broadcastReconnectNotification: () => wsHandler.broadcastReconnectNotification() };
    return {
      nodeHTTPRequestHandler,
      appRouter,
      wss,
      readImageOptionsFor: files.readImageOptionsFor,
      ImageFileError: files.ImageFileError,
    };
  };
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    try {
      const { pathname, query } = parseRequestTarget(req.url);
      if (pathname !== "/trpc-ws") throw new HttpError(404, "NOT_FOUND", "unknown socket path");
      checkOrigin(req);
      if (!safeEqual(new URLSearchParams(query).get("token") ?? "", token))
        throw new HttpError(403, "FORBIDDEN", "missing or wrong harness token");
    } catch (err) {
      const refusal = err instanceof HttpError ? err : new HttpError(400, "BAD_REQUEST", "bad upgrade request");
      return writeRawError(socket, refusal.status, refusal.code, refusal.message);
    }
    // During start-up the socket waits for the API and the services.
    Promise.all([apiReady(), services]).then(
      ([{ wss }]) => {
        if (socket.destroyed) return;
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
      },
      (err: unknown) => {
        log(`[server error] socket upgrade: ${(err as Error)?.stack ?? String(err)}`);
        writeRawError(socket, 503, "INTERNAL_SERVER_ERROR", "the services did not start (details in the server log)");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = host === "::1" ? "[::1]" : host === "localhost" ? "127.0.0.1" : host;
  origin = `http://${hostForUrl}:${port}`;
  allowedHosts = [`${hostForUrl}:${port}`, `localhost:${port}`];
  // The API's modules load now, beside the renderer's first requests.
  apiReady().catch((err: unknown) => log(`[server error] loading the API: ${(err as Error)?.stack ?? String(err)}`));

  return {
    origin,
    url: `${origin}/#token=${token}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        if (sockets) {
          sockets.broadcastReconnectNotification();
          for (const client of sockets.wss.clients) client.terminate();
          sockets.wss.close();
        }
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
