import { studiesContract as c } from "../../../src-shared/contract/studies";
import { fromContract, router } from "../trpc";

export const studiesRouter = router({
  list: fromContract(c.list).query(({ ctx, input }) => ctx.services.studies.list(input)),
  get: fromContract(c.get).query(({ ctx, input }) => ctx.services.studies.get(input.studyId)),
});
