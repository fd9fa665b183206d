/**
 * The IPC contract: every procedure main offers to the renderer, with its zod input and output schemas.
 * Main implements it (src-main/ipc/router.ts), preload bridges it, the renderer calls it through a typed client.
 * It is data, so tests can walk every procedure (see test/unit/ipc/contract.test.ts).
 */
import { z } from "zod";
import {
  AppEventSchema,
  AppInfoSchema,
  StudyDetailSchema,
  StudyIdSchema,
  StudyStatusSchema,
  StudySummarySchema,
} from "./domain";

type Kind = "query" | "mutation" | "subscription";

export interface ProcedureDef<K extends Kind, I extends z.ZodType, O extends z.ZodType> {
  kind: K;
  input: I;
  output: O;
  description: string;
}

const def = <K extends Kind, I extends z.ZodType, O extends z.ZodType>(
  kind: K,
  input: I,
  output: O,
  description: string,
): ProcedureDef<K, I, O> => ({ kind, input, output, description });

/** Procedures that take no arguments accept only `undefined`. */
export const NoInput = z.undefined();

export const contract = {
  app: {
    info: def("query", NoInput, AppInfoSchema, "What main reports about itself: version, data folder, model."),
    ping: def(
      "mutation",
      z.object({ message: z.string().max(1000) }).strict(),
      z.object({ message: z.string(), receivedAt: z.string() }),
      "Round trip through the transport; echoes the message.",
    ),
  },
  studies: {
    list: def(
      "query",
      z
        .object({
          search: z.string().max(200).optional(),
          status: StudyStatusSchema.optional(),
        })
        .strict(),
      z.array(StudySummarySchema),
      "Worklist: studies matching a free-text search and a status.",
    ),
    get: def("query", z.object({ studyId: StudyIdSchema }).strict(), StudyDetailSchema, "One study with its images."),
  },
  events: {
    onEvent: def("subscription", NoInput, AppEventSchema, "Progress and change events pushed by main."),
  },
} as const;

export type Contract = typeof contract;

/** Flat list of [path, definition] for every procedure, e.g. ["studies.list", def]. */
export function listProcedures(): Array<[string, ProcedureDef<Kind, z.ZodType, z.ZodType>]> {
  const out: Array<[string, ProcedureDef<Kind, z.ZodType, z.ZodType>]> = [];
  for (const [ns, procs] of Object.entries(contract)) {
    for (const [name, p] of Object.entries(procs))
      out.push([`${ns}.${name}`, p as ProcedureDef<Kind, z.ZodType, z.ZodType>]);
  }
  return out;
}
