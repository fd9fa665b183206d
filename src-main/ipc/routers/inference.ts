import { inferenceContract as c } from "../../../src-shared/contract/inference";
import { procedure, router } from "../trpc";

export const inferenceRouter = router({
  status: procedure
    .input(c.status.input)
    .output(c.status.output)
    .query(({ ctx }) => ctx.services.inference.status()),
});
