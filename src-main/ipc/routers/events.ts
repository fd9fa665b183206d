import { observable } from "@trpc/server/observable";
import { eventsContract as c } from "../../../src-shared/contract/events";
import type { AppEvent } from "../../../src-shared/domain";
import { procedure, router } from "../trpc";

export const eventsRouter = router({
  onEvent: procedure
    .input(c.onEvent.input)
    .subscription(({ ctx }) =>
      observable<AppEvent>((emit) => ctx.services.events.subscribe((event) => emit.next(event))),
    ),
});
