import { keyBindingsContract as c } from "../../../src-shared/contract/key-bindings";
import { procedure, router } from "../trpc";

export const keyBindingsRouter = router({
  get: procedure
    .input(c.get.input)
    .output(c.get.output)
    .query(({ ctx }) => ctx.services.keyBindings.get()),
  set: procedure
    .input(c.set.input)
    .output(c.set.output)
    .mutation(({ ctx, input }) => ctx.services.keyBindings.set(input.overrides)),
});
