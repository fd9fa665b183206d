import { filesContract as c } from "../../../src-shared/contract/files";
import { procedure, router } from "../trpc";

export const filesRouter = router({
  imageSources: procedure
    .input(c.imageSources.input)
    .output(c.imageSources.output)
    .query(({ ctx, input }) => ctx.services.files.imageSources(input.studyId)),
});
