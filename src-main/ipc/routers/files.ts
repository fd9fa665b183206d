import { filesContract as c } from "../../../src-shared/contract/files";
import { fromContract, router } from "../trpc";

export const filesRouter = router({
  imageSources: fromContract(c.imageSources).query(({ ctx, input }) => ctx.services.files.imageSources(input.studyId)),
});
