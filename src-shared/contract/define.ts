import { z } from "zod";

export type ProcedureKind = "query" | "mutation" | "subscription";

export interface ProcedureDef<K extends ProcedureKind, I extends z.ZodType, O extends z.ZodType> {
  kind: K;
  input: I;
  output: O;
  description: string;
}

export type AnyProcedureDef = ProcedureDef<ProcedureKind, z.ZodType, z.ZodType>;

export const def = <K extends ProcedureKind, I extends z.ZodType, O extends z.ZodType>(
  kind: K,
  input: I,
  output: O,
  description: string,
): ProcedureDef<K, I, O> => ({ kind, input, output, description });

/** Procedures that take no arguments accept only `undefined`. */
export const NoInput = z.undefined();
