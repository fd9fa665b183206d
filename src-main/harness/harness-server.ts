/**
 * Loopback harness: the same router and services as the Electron shell, served to a browser on 127.0.0.1.
 * - GET /...                 the built renderer (static files, strict CSP)
 * - /trpc/<procedure>        queries and mutations (HTTP), Authorization: Bearer <token>
 * - /trpc-ws?token=<token>   subscriptions (WebSocket)
 * - GET /files/<imageId>     an imported image file's bytes (Authorization: Bearer <token>), for the viewer
 * Every API call must carry the per-run secret token, and requests from another origin (or host) are refused.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { nodeHTTPRequestHandler } from "@trpc/server/adapters/node-http";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { WebSocketServer } from "ws";
import { HARNESS_FILES_PATH } from "../../src-shared/import-types";
import { appRouter } from "../ipc/router";
import { contentSecurityPolicy } from "../security/csp";
import type { Services } from "../services";
import { ImageFileError } from "../services/files/files-service";

export interface HarnessOptions {
  services: Services;
  /** Folder with the built renderer (index.html + assets). */
  rendererDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Per-run secret; generated when absent. */
  token?: string;
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
  const createContext = () => ({ services: options.services });
  let origin = "";
  let allowedHosts: string[] = [];

  /** Refuses other origins and DNS-rebinding hosts; returns an error text or null. */
  const checkOrigin = (req: http.IncomingMessage): string | null => {
    const hostHeader = req.headers.host ?? "";
    if (!allowedHosts.includes(hostHeader)) return `host ${hostHeader || "(none)"} is not this harness`;
    const reqOrigin = req.headers.origin;
    if (reqOrigin !== undefined && reqOrigin !== origin && reqOrigin !== origin.replace("127.0.0.1", "localhost")) {
      return `origin ${reqOrigin} is not allowed`;
    }
    return null;
  };

  const deny = (res: http.ServerResponse, status: number, message: string) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message } }));
  };

  const csp = () => contentSecurityPolicy({ connectSrc: [origin.replace(/^http/, "ws")] });

  const serveStatic = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => {
    if (req.method !== "GET" && req.method !== "HEAD") return deny(res, 405, "method not allowed");
    const rel = pathname === "/" ? "index.html" : decodeURIComponent(pathname).replace(/^\/+/, "");
    const file = path.resolve(rendererDir, rel);
    if (!file.startsWith(rendererDir + path.sep)) return deny(res, 403, "path outside the renderer");
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) return deny(res, 404, `not found: ${pathname}`);
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
      fs.createReadStream(file).pipe(res);
    });
  };

  const hasToken = (req: http.IncomingMessage): boolean => {
    const auth = req.headers.authorization ?? "";
    const given = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    return given !== "" && safeEqual(given, token);
  };

  /** GET /files/<imageId>: only images recorded in the case database, by id, unchanged since import. */
  const serveImageFile = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => {
    if (req.method !== "GET" && req.method !== "HEAD") return deny(res, 405, "method not allowed");
    let imageId: string;
    try {
      imageId = decodeURIComponent(pathname.slice(HARNESS_FILES_PATH.length));
    } catch {
      return deny(res, 400, "malformed image id");
    }
    options.services.files.readImage(imageId).then(
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
      (err: unknown) =>
        err instanceof ImageFileError
          ? deny(res, err.status, err.message)
          : deny(res, 500, `cannot serve image ${imageId}: ${(err as Error).message}`),
    );
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://harness.invalid");
    const originProblem = checkOrigin(req);
    if (originProblem) return deny(res, 403, originProblem);
    if (url.pathname.startsWith(HARNESS_FILES_PATH)) {
      if (!hasToken(req)) return deny(res, 401, "missing or wrong harness token");
      return serveImageFile(req, res, url.pathname);
    }
    if (url.pathname.startsWith("/trpc/")) {
      if (!hasToken(req)) return deny(res, 401, "missing or wrong harness token");
      void nodeHTTPRequestHandler({
        req,
        res,
        router: appRouter,
        createContext,
        path: url.pathname.slice("/trpc/".length),
      });
      return;
    }
    serveStatic(req, res, url.pathname);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const wsHandler = applyWSSHandler({ wss, router: appRouter, createContext });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://harness.invalid");
    const problem =
      url.pathname !== "/trpc-ws"
        ? "unknown socket path"
        : (checkOrigin(req) ??
          (safeEqual(url.searchParams.get("token") ?? "", token) ? null : "missing or wrong harness token"));
    if (problem) {
      socket.write(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\n${problem}`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = host === "::1" ? "[::1]" : host === "localhost" ? "127.0.0.1" : host;
  origin = `http://${hostForUrl}:${port}`;
  allowedHosts = [`${hostForUrl}:${port}`, `localhost:${port}`];

  return {
    origin,
    url: `${origin}/#token=${token}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        wsHandler.broadcastReconnectNotification();
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
