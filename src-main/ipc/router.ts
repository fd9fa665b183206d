/**
 * The IPC router: one router per contract area (./routers/), each a set of thin handlers that call services.
 * Served over electron-trpc in the Electron shell and over HTTP/WebSocket by the loopback harness.
 */
import { accountsRouter } from "./routers/accounts";
import { appRouter as app } from "./routers/app";
import { eventsRouter } from "./routers/events";
import { filesRouter } from "./routers/files";
import { importRouter } from "./routers/import";
import { inferenceRouter } from "./routers/inference";
import { keyBindingsRouter } from "./routers/key-bindings";
import { macrosRouter } from "./routers/macros";
import { measurementsRouter } from "./routers/measurements";
import { pacsRouter } from "./routers/pacs";
import { reportsRouter } from "./routers/reports";
import { studiesRouter } from "./routers/studies";
import { router } from "./trpc";

export const appRouter = router({
  app,
  studies: studiesRouter,
  events: eventsRouter,
  import: importRouter,
  files: filesRouter,
  keyBindings: keyBindingsRouter,
  reports: reportsRouter,
  inference: inferenceRouter,
  pacs: pacsRouter,
  measurements: measurementsRouter,
  accounts: accountsRouter,
  macros: macrosRouter,
});
