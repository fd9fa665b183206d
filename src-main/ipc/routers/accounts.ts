import { accountsContract as c } from "../../../src-shared/contract/accounts";
import { fromContract, router } from "../trpc";

export const accountsRouter = router({
  session: fromContract(c.session).query(({ ctx }) => ctx.services.accounts.session()),
  list: fromContract(c.list).query(({ ctx }) => ctx.services.accounts.list()),
  create: fromContract(c.create).mutation(({ ctx, input }) => ctx.services.accounts.create(input)),
  signIn: fromContract(c.signIn).mutation(({ ctx, input }) =>
    ctx.services.accounts.signIn(input.username, input.password),
  ),
  signOut: fromContract(c.signOut).mutation(({ ctx }) => ctx.services.accounts.signOut()),
  activity: fromContract(c.activity).mutation(({ ctx }) => ctx.services.accounts.activity()),
  lock: fromContract(c.lock).mutation(({ ctx }) => ctx.services.accounts.lock()),
  unlock: fromContract(c.unlock).mutation(({ ctx, input }) => ctx.services.accounts.unlock(input)),
  setIdleLock: fromContract(c.setIdleLock).mutation(({ ctx, input }) =>
    ctx.services.accounts.setIdleLockSeconds(input.seconds),
  ),
});
