import { appContract as c } from "../../../src-shared/contract/app";
import { procedure, router } from "../trpc";

export const appRouter = router({
  info: procedure
    .input(c.info.input)
    .output(c.info.output)
    .query(({ ctx }) => ctx.services.app.info()),
  ping: procedure
    .input(c.ping.input)
    .output(c.ping.output)
    .mutation(({ ctx, input }) => ctx.services.app.ping(input.message)),
});
