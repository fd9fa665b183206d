import { measurementsContract as c } from "../../../src-shared/contract/measurements";
import { fromContract, router } from "../trpc";

export const measurementsRouter = router({
  list: fromContract(c.list).query(({ ctx, input }) => ctx.services.measurements.list(input.studyId)),
  create: fromContract(c.create).mutation(({ ctx, input }) => ctx.services.measurements.create(input)),
  update: fromContract(c.update).mutation(({ ctx, input }) => ctx.services.measurements.update(input)),
  delete: fromContract(c.delete).mutation(({ ctx, input }) => ctx.services.measurements.delete(input.id)),
});
