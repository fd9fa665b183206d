import { macrosContract as c } from "../../../src-shared/contract/macros";
import { fromContract, router } from "../trpc";

export const macrosRouter = router({
  list: fromContract(c.list).query(({ ctx }) => ctx.services.macros.list()),
  create: fromContract(c.create).mutation(({ ctx, input }) => ctx.services.macros.create(input)),
  update: fromContract(c.update).mutation(({ ctx, input }) => ctx.services.macros.update(input)),
  delete: fromContract(c.delete).mutation(({ ctx, input }) => ctx.services.macros.delete(input.id)),
  exportJson: fromContract(c.exportJson).query(({ ctx }) => ctx.services.macros.exportJson()),
  importJson: fromContract(c.importJson).mutation(({ ctx, input }) => ctx.services.macros.importJson(input.json)),
});
