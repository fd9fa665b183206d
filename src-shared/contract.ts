/**
 * The IPC contract: every procedure main offers to the renderer, with its zod input and output schemas, one file
 * per area under ./contract/. Main implements it (src-main/ipc/routers/, one router per area), preload bridges it,
 * the renderer calls it through the typed client (./contract-client.ts). It is data, so tests walk every procedure
 * (test/unit/ipc/contract.test.ts).
 */
import { accountsContract } from "./contract/accounts";
import { appContract } from "./contract/app";
import type { AnyProcedureDef } from "./contract/define";
import { eventsContract } from "./contract/events";
import { filesContract } from "./contract/files";
import { importContract } from "./contract/import";
import { inferenceContract } from "./contract/inference";
import { keyBindingsContract } from "./contract/key-bindings";
import { macrosContract } from "./contract/macros";
import { measurementsContract } from "./contract/measurements";
import { pacsContract } from "./contract/pacs";
import { reportsContract } from "./contract/reports";
import { studiesContract } from "./contract/studies";

export type { AnyProcedureDef, ProcedureDef, ProcedureKind } from "./contract/define";

export const contract = {
  app: appContract,
  studies: studiesContract,
  events: eventsContract,
  import: importContract,
  files: filesContract,
  keyBindings: keyBindingsContract,
  reports: reportsContract,
  inference: inferenceContract,
  pacs: pacsContract,
  measurements: measurementsContract,
  accounts: accountsContract,
  macros: macrosContract,
} as const;

export type Contract = typeof contract;

/** Flat list of [path, definition] for every procedure, e.g. ["studies.list", def]. */
export function listProcedures(): Array<[string, AnyProcedureDef]> {
  const out: Array<[string, AnyProcedureDef]> = [];
  for (const [ns, procs] of Object.entries(contract)) {
    for (const [name, p] of Object.entries(procs)) out.push([`${ns}.${name}`, p as AnyProcedureDef]);
  }
  return out;
}
