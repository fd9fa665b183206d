import { pacsContract as c } from "../../../src-shared/contract/pacs";
import { fromContract, router } from "../trpc";

export const pacsRouter = router({
  connections: fromContract(c.connections).query(({ ctx }) => ({
    connections: ctx.services.pacs.listConnections(),
    secretProtection: ctx.services.pacs.secretProtection,
    defaultConnectionId: ctx.services.pacs.publisher.defaultConnectionId(),
  })),
  setDefaultConnection: fromContract(c.setDefaultConnection).mutation(({ ctx, input }) => {
    ctx.services.pacs.publisher.setDefaultConnection(input.connectionId);
    return { defaultConnectionId: ctx.services.pacs.publisher.defaultConnectionId() };
  }),
  addConnection: fromContract(c.addConnection).mutation(({ ctx, input }) => ctx.services.pacs.addConnection(input)),
  updateConnection: fromContract(c.updateConnection).mutation(({ ctx, input }) =>
    ctx.services.pacs.updateConnection(input.connectionId, input.connection),
  ),
  removeConnection: fromContract(c.removeConnection).mutation(({ ctx, input }) => {
    ctx.services.pacs.removeConnection(input.connectionId);
    return { removed: true };
  }),
  testConnection: fromContract(c.testConnection).mutation(({ ctx, input }) => ctx.services.pacs.testConnection(input)),
  searchStudies: fromContract(c.searchStudies).query(({ ctx, input }) => ctx.services.pacs.searchStudies(input)),
  retrieveStudy: fromContract(c.retrieveStudy).mutation(({ ctx, input }) => ctx.services.pacs.retrieveStudy(input)),
  cancelRetrieve: fromContract(c.cancelRetrieve).mutation(({ ctx, input }) => ({
    cancelled: ctx.services.pacs.cancelRetrieve(input.jobId),
  })),
  priors: fromContract(c.priors).query(({ ctx, input }) => ctx.services.pacs.priors(input.studyId)),
  studyReport: fromContract(c.studyReport).query(({ ctx, input }) => ctx.services.pacs.studyReport(input)),
  outbox: fromContract(c.outbox).query(({ ctx, input }) => ctx.services.pacs.listOutbox(input)),
  retryOutbox: fromContract(c.retryOutbox).mutation(({ ctx, input }) => ({
    retried: ctx.services.pacs.retryOutbox(input),
  })),
});
