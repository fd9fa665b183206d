import { inferenceContract as c } from "../../../src-shared/contract/inference";
import { fromContract, router } from "../trpc";

export const inferenceRouter = router({
  status: fromContract(c.status).query(({ ctx }) => ctx.services.inference.status()),
});
