/**
 * The IPC router: one router per contract area (./routers/), each a set of thin handlers that call services.
 * Served over electron-trpc in the Electron shell and over HTTP/WebSocket by the loopback harness.
 */
import { appRouter as app } from "./routers/app";
import { eventsRouter } from "./routers/events";
import { studiesRouter } from "./routers/studies";
import { router } from "./trpc";

export const appRouter = router({
  app,
  studies: studiesRouter,
  events: eventsRouter,
});

export type AppRouter = typeof appRouter;
