/**
 * The IPC router: one thin handler per contract procedure, each calling a service.
 * Served over electron-trpc in the Electron shell and over HTTP/WebSocket by the loopback harness.
 */
import { observable } from "@trpc/server/observable";
import { contract } from "../../src-shared/contract";
import type { AppEvent } from "../../src-shared/domain";
import { procedure, router } from "./trpc";

const c = contract;

export const appRouter = router({
  app: router({
    info: procedure
      .input(c.app.info.input)
      .output(c.app.info.output)
      .query(({ ctx }) => ctx.services.app.info()),
    ping: procedure
      .input(c.app.ping.input)
      .output(c.app.ping.output)
      .mutation(({ ctx, input }) => ctx.services.app.ping(input.message)),
  }),
  studies: router({
    list: procedure
      .input(c.studies.list.input)
      .output(c.studies.list.output)
      .query(({ ctx, input }) => ctx.services.studies.list(input)),
    get: procedure
      .input(c.studies.get.input)
      .output(c.studies.get.output)
      .query(({ ctx, input }) => ctx.services.studies.get(input.studyId)),
  }),
  events: router({
    onEvent: procedure
      .input(c.events.onEvent.input)
      .subscription(({ ctx }) =>
        observable<AppEvent>((emit) => ctx.services.events.subscribe((event) => emit.next(event))),
      ),
  }),
});

export type AppRouter = typeof appRouter;
