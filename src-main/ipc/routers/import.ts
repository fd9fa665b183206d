import { importContract as c } from "../../../src-shared/contract/import";
import { fromContract, router } from "../trpc";

export const importRouter = router({
  paths: fromContract(c.paths).mutation(({ ctx, input }) =>
    ctx.services.importer.importPaths(input.paths, { jobId: input.jobId, looseImages: input.looseImages }),
  ),
  pickPaths: fromContract(c.pickPaths).mutation(({ ctx, input }) => ctx.services.importer.pickPaths(input.kind)),
  setView: fromContract(c.setView).mutation(({ ctx, input }) =>
    ctx.services.importer.setView(input.imageId, input.view),
  ),
});
