import { appContract as c } from "../../../src-shared/contract/app";
import { fromContract, router } from "../trpc";

export const appRouter = router({
  info: fromContract(c.info).query(({ ctx }) => ctx.services.app.info()),
  ping: fromContract(c.ping).mutation(({ ctx, input }) => ctx.services.app.ping(input.message)),
});
