import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError, type ZodType } from "zod";
import { BUSY_TIMEOUT_MS, isDatabaseBusy } from "../db/database";
import { redactPaths } from "../security/redact";
import type { Services } from "../services";
import { PacsError, type PacsErrorCode } from "../services/pacs/errors";
import { DraftConflictError, ReportConflictError } from "../services/reports/errors";
import { RequestError } from "../services/request-error";
import { NotFoundError } from "../services/studies/studies-service";
import { isOpenProcedure, signedInRefusal } from "./sign-in-gate";

export interface IpcContext {
  services: Services;
}

/** Where unexpected errors are written in full (message and stack); the transport only sees a redacted message. */
let serverLog: (line: string) => void = (line) => console.error(line);

/** Points the server log elsewhere (tests); returns the previous writer. */
export function setServerErrorLog(log: (line: string) => void): (line: string) => void {
  const previous = serverLog;
  serverLog = log;
  return previous;
}

/**
 * Error shapes for every transport (HTTP, WebSocket, Electron IPC): a message and a code, never a stack or an
 * absolute path. tRPC adds `data.stack` outside production; it is dropped here, and server errors are logged.
 */
const t = initTRPC.context<IpcContext>().create({
  isServer: true,
  allowOutsideOfServer: true,
  errorFormatter({ shape, error, path }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    if (error.code === "INTERNAL_SERVER_ERROR") {
      serverLog(`[server error] ${path ?? "(no procedure)"}: ${error.cause?.stack ?? error.stack ?? error.message}`);
    }
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message: redactPaths(
        zod
          ? `invalid input for ${path ?? "procedure"}: ${zod.issues
              .map((i) => `${i.path.length ? i.path.join(".") : "(input)"}: ${i.message}`)
              .join("; ")}`
          : shape.message,
      ),
      data: {
        ...data,
        // The procedure path comes from the request URL: echo it like any other message text.
        path: typeof data.path === "string" ? redactPaths(data.path.slice(0, 200)) : data.path,
        issues: zod ? zod.issues.map((i) => ({ path: i.path.map(String), message: redactPaths(i.message) })) : null,
        // A stale autosave (issue 18.6): the newest version and revision, so the editor can offer the newer text.
        draftConflict: error.cause instanceof DraftConflictError ? error.cause.conflict : null,
      },
    };
  },
});

/** PACS failures keep their one-line message and get a transport code that says what kind they are. */
const PACS_CODES: Record<PacsErrorCode, TRPCError["code"]> = {
  UNREACHABLE: "PRECONDITION_FAILED",
  TLS: "PRECONDITION_FAILED",
  TIMEOUT: "TIMEOUT",
  UNAUTHORIZED: "PRECONDITION_FAILED",
  FORBIDDEN: "PRECONDITION_FAILED",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  REFUSED: "PRECONDITION_FAILED",
  SERVER_ERROR: "PRECONDITION_FAILED",
  BAD_RESPONSE: "PRECONDITION_FAILED",
  INVALID_INPUT: "BAD_REQUEST",
  OUT_OF_SCOPE: "UNPROCESSABLE_CONTENT",
  ABORTED: "CLIENT_CLOSED_REQUEST",
};

/** Turns the services' domain errors into transport errors with the right code; handlers stay thin. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof NotFoundError) {
      throw new TRPCError({ code: "NOT_FOUND", message: cause.message, cause });
    }
    if (cause instanceof ReportConflictError) {
      throw new TRPCError({ code: "CONFLICT", message: cause.message, cause });
    }
    if (cause instanceof RequestError) {
      throw new TRPCError({ code: cause.code, message: cause.message, cause });
    }
    if (cause instanceof PacsError) {
      throw new TRPCError({ code: PACS_CODES[cause.code], message: cause.message, cause });
    }
    if (isDatabaseBusy(cause)) {
      // busy_timeout already waited (BUSY_TIMEOUT_MS): say so plainly instead of SQLite's "database is locked".
      throw new TRPCError({
        code: "CONFLICT",
        message: `the case database was busy (another writer held it for over ${BUSY_TIMEOUT_MS / 1000} s); try again`,
        cause,
      });
    }
  }
  return result;
});

/**
 * No account, no API (sign-in-gate.ts): every procedure but the open ones (OPEN_PROCEDURES) is refused while nobody
 * is signed in, before its input is read. A locked session counts as signed in.
 */
const signedIn = t.middleware(({ ctx, path, next }) => {
  if (!isOpenProcedure(path)) {
    const refusal = signedInRefusal(ctx.services.accounts, path);
    if (refusal) throw new TRPCError({ code: "UNAUTHORIZED", message: refusal });
  }
  return next();
});

export const router = t.router;
export const procedure = t.procedure.use(domainErrors).use(signedIn);
export const createCallerFactory = t.createCallerFactory;

/** The procedure for one contract entry: its input and output schemas, checked on every call. */
export const fromContract = <I extends ZodType, O extends ZodType>(entry: { input: I; output: O }) =>
  procedure.input(entry.input).output(entry.output);
