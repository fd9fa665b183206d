import { importContract as c } from "../../../src-shared/contract/import";
import { procedure, router } from "../trpc";

export const importRouter = router({
  paths: procedure
    .input(c.paths.input)
    .output(c.paths.output)
    .mutation(({ ctx, input }) =>
      ctx.services.importer.importPaths(input.paths, { jobId: input.jobId, looseImages: input.looseImages }),
    ),
  pickPaths: procedure
    .input(c.pickPaths.input)
    .output(c.pickPaths.output)
    .mutation(({ ctx, input }) => ctx.services.importer.pickPaths(input.kind)),
  setView: procedure
    .input(c.setView.input)
    .output(c.setView.output)
    .mutation(({ ctx, input }) => ctx.services.importer.setView(input.imageId, input.view)),
});
