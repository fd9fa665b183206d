import { studiesContract as c } from "../../../src-shared/contract/studies";
import { procedure, router } from "../trpc";

export const studiesRouter = router({
  list: procedure
    .input(c.list.input)
    .output(c.list.output)
    .query(({ ctx, input }) => ctx.services.studies.list(input)),
  get: procedure
    .input(c.get.input)
    .output(c.get.output)
    .query(({ ctx, input }) => ctx.services.studies.get(input.studyId)),
});
