import { reportsContract as c } from "../../../src-shared/contract/reports";
import { fromContract, router } from "../trpc";

export const reportsRouter = router({
  state: fromContract(c.state).query(({ ctx, input }) => ctx.services.reports.state(input.studyId)),
  open: fromContract(c.open).mutation(({ ctx, input }) => ctx.services.reports.open(input.studyId)),
  save: fromContract(c.save).mutation(({ ctx, input }) => ctx.services.reports.save(input.studyId, input)),
  suggestImpression: fromContract(c.suggestImpression).mutation(({ ctx, input }) =>
    ctx.services.reports.suggestImpression(input.studyId, input),
  ),
  regenerate: fromContract(c.regenerate).mutation(({ ctx, input }) =>
    ctx.services.reports.regenerate(input.studyId, input),
  ),
  cancel: fromContract(c.cancel).mutation(({ ctx, input }) => ctx.services.reports.cancel(input.studyId)),
  versions: fromContract(c.versions).query(({ ctx, input }) => ctx.services.reports.versions(input.studyId)),
  restore: fromContract(c.restore).mutation(({ ctx, input }) =>
    ctx.services.reports.restore(input.studyId, input.version),
  ),
  signer: fromContract(c.signer).query(({ ctx }) => ctx.services.reports.signer()),
  sign: fromContract(c.sign).mutation(({ ctx, input }) => {
    const { credential, ...rest } = input;
    return credential
      ? ctx.services.reports.signWithCredential(input.studyId, { ...rest, credential })
      : ctx.services.reports.sign(input.studyId, rest);
  }),
  criticalFindings: fromContract(c.criticalFindings).query(({ ctx }) => ctx.services.reports.criticalFindings()),
  setCriticalFindings: fromContract(c.setCriticalFindings).mutation(({ ctx, input }) =>
    ctx.services.reports.setCriticalFindings(input.findings),
  ),
  overrideScope: fromContract(c.overrideScope).mutation(({ ctx, input }) =>
    ctx.services.reports.overrideScope(input.studyId, input),
  ),
  addAddendum: fromContract(c.addAddendum).mutation(({ ctx, input }) =>
    input.credential
      ? ctx.services.reports.addAddendumWithCredential(input.studyId, input.text, input.credential)
      : ctx.services.reports.addAddendum(input.studyId, input.text),
  ),
  audit: fromContract(c.audit).query(({ ctx, input }) => ctx.services.reports.audit(input.studyId)),
  export: fromContract(c.export).mutation(({ ctx, input }) =>
    ctx.services.reports.export(input.studyId, input.format, { paper: input.paper }),
  ),
});
