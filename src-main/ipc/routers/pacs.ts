import { TRPCError } from "@trpc/server";
import { pacsContract as c } from "../../../src-shared/contract/pacs";
import { PacsError, type PacsErrorCode } from "../../services/pacs/errors";
import { procedure, router } from "../trpc";

const CODES: Record<PacsErrorCode, TRPCError["code"]> = {
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

/**
 * PACS failures keep their one-line message and get a transport code that says what kind they are. */
async function pacsErrors<T>(run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PacsError)
      throw new TRPCError({ code: CODES[error.code], message: error.message, cause: error });
    throw error;
  }
}

export const pacsRouter = router({
  connections: procedure
    .input(c.connections.input)
    .output(c.connections.output)
    .query(({ ctx }) =>
      pacsErrors(() => ({
        connections: ctx.services.pacs.listConnections(),
        secretProtection: ctx.services.pacs.secretProtection,
        defaultConnectionId: ctx.services.pacs.publisher.defaultConnectionId(),
      })),
    ),
  setDefaultConnection: procedure
    .input(c.setDefaultConnection.input)
    .output(c.setDefaultConnection.output)
    .mutation(({ ctx, input }) =>
      pacsErrors(() => {
        ctx.services.pacs.publisher.setDefaultConnection(input.connectionId);
        return { defaultConnectionId: ctx.services.pacs.publisher.defaultConnectionId() };
      }),
    ),
  addConnection: procedure
    .input(c.addConnection.input)
    .output(c.addConnection.output)
    .mutation(({ ctx, input }) => pacsErrors(() => ctx.services.pacs.addConnection(input))),
  updateConnection: procedure
    .input(c.updateConnection.input)
    .output(c.updateConnection.output)
    .mutation(({ ctx, input }) =>
      pacsErrors(() => ctx.services.pacs.updateConnection(input.connectionId, input.connection)),
    ),
  removeConnection: procedure
    .input(c.removeConnection.input)
    .output(c.removeConnection.output)
    .mutation(({ ctx, input }) =>
      pacsErrors(() => {
        ctx.services.pacs.removeConnection(input.connectionId);
        return { removed: true };
      }),
    ),
  testConnection: procedure
    .input(c.testConnection.input)
    .output(c.testConnection.output)
    .mutation(({ ctx, input }) => pacsErrors(() => ctx.services.pacs.testConnection(input))),
  searchStudies: procedure
    .input(c.searchStudies.input)
    .output(c.searchStudies.output)
    .query(({ ctx, input }) => pacsErrors(() => ctx.services.pacs.searchStudies(input))),
  retrieveStudy: procedure
    .input(c.retrieveStudy.input)
    .output(c.retrieveStudy.output)
    .mutation(({ ctx, input }) => pacsErrors(() => ctx.services.pacs.retrieveStudy(input))),
  cancelRetrieve: procedure
    .input(c.cancelRetrieve.input)
    .output(c.cancelRetrieve.output)
    .mutation(({ ctx, input }) => pacsErrors(() => ({ cancelled: ctx.services.pacs.cancelRetrieve(input.jobId) }))),
  priors: procedure
    .input(c.priors.input)
    .output(c.priors.output)
    .query(({ ctx, input }) => pacsErrors(() => ctx.services.pacs.priors(input.studyId))),
  studyReport: procedure
    .input(c.studyReport.input)
    .output(c.studyReport.output)
    .query(({ ctx, input }) => pacsErrors(() => ctx.services.pacs.studyReport(input))),
  outbox: procedure
    .input(c.outbox.input)
    .output(c.outbox.output)
    .query(({ ctx, input }) => pacsErrors(() => ctx.services.pacs.listOutbox(input))),
  retryOutbox: procedure
    .input(c.retryOutbox.input)
    .output(c.retryOutbox.output)
    .mutation(({ ctx, input }) => pacsErrors(() => ({ retried: ctx.services.pacs.retryOutbox(input) }))),
});
