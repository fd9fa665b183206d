import { reportsContract as c } from "../../../src-shared/contract/reports";
import { procedure, router } from "../trpc";

export const reportsRouter = router({
  state: procedure
    .input(c.state.input)
    .output(c.state.output)
    .query(({ ctx, input }) => ctx.services.reports.state(input.studyId)),
  open: procedure
    .input(c.open.input)
    .output(c.open.output)
    .mutation(({ ctx, input }) => ctx.services.reports.open(input.studyId)),
  save: procedure
    .input(c.save.input)
    .output(c.save.output)
    .mutation(({ ctx, input }) => ctx.services.reports.save(input.studyId, input)),
  suggestImpression: procedure
    .input(c.suggestImpression.input)
    .output(c.suggestImpression.output)
    .mutation(({ ctx, input }) => ctx.services.reports.suggestImpression(input.studyId, input)),
  regenerate: procedure
    .input(c.regenerate.input)
    .output(c.regenerate.output)
    .mutation(({ ctx, input }) => ctx.services.reports.regenerate(input.studyId, input)),
  cancel: procedure
    .input(c.cancel.input)
    .output(c.cancel.output)
    .mutation(({ ctx, input }) => ctx.services.reports.cancel(input.studyId)),
  versions: procedure
    .input(c.versions.input)
    .output(c.versions.output)
    .query(({ ctx, input }) => ctx.services.reports.versions(input.studyId)),
  restore: procedure
    .input(c.restore.input)
    .output(c.restore.output)
    .mutation(({ ctx, input }) => ctx.services.reports.restore(input.studyId, input.version)),
  signer: procedure
    .input(c.signer.input)
    .output(c.signer.output)
    .query(({ ctx }) => ctx.services.reports.signer()),
  setSigner: procedure
    .input(c.setSigner.input)
    .output(c.setSigner.output)
    .mutation(({ ctx, input }) => ctx.services.reports.setSigner(input.name)),
  sign: procedure
    .input(c.sign.input)
    .output(c.sign.output)
    .mutation(({ ctx, input }) => ctx.services.reports.sign(input.studyId, input)),
  criticalFindings: procedure
    .input(c.criticalFindings.input)
    .output(c.criticalFindings.output)
    .query(({ ctx }) => ctx.services.reports.criticalFindings()),
  setCriticalFindings: procedure
    .input(c.setCriticalFindings.input)
    .output(c.setCriticalFindings.output)
    .mutation(({ ctx, input }) => ctx.services.reports.setCriticalFindings(input.findings)),
  overrideScope: procedure
    .input(c.overrideScope.input)
    .output(c.overrideScope.output)
    .mutation(({ ctx, input }) => ctx.services.reports.overrideScope(input.studyId, input)),
  addAddendum: procedure
    .input(c.addAddendum.input)
    .output(c.addAddendum.output)
    .mutation(({ ctx, input }) => ctx.services.reports.addAddendum(input.studyId, input.text)),
  audit: procedure
    .input(c.audit.input)
    .output(c.audit.output)
    .query(({ ctx, input }) => ctx.services.reports.audit(input.studyId)),
  export: procedure
    .input(c.export.input)
    .output(c.export.output)
    .mutation(({ ctx, input }) => ctx.services.reports.export(input.studyId, input.format, { paper: input.paper })),
});
