import { keyBindingsContract as c } from "../../../src-shared/contract/key-bindings";
import { fromContract, router } from "../trpc";

export const keyBindingsRouter = router({
  get: fromContract(c.get).query(({ ctx }) => ctx.services.keyBindings.get()),
  set: fromContract(c.set).mutation(({ ctx, input }) => ctx.services.keyBindings.set(input.overrides)),
});
