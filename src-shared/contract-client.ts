/**
 * A typed client derived from the contract alone: `client.studies.list({ search })` returns the contract's output
 * type. It sits on any transport that can run a procedure by path (the tRPC untyped client over electron-trpc IPC
 * or the loopback harness), so the renderer and tests depend on the contract, not on main's code.
 */
import type { z } from "zod";
import { type Contract, contract, type ProcedureDef } from "./contract";

export interface ProcedureTransport {
  query(path: string, input: unknown): Promise<unknown>;
  mutation(path: string, input: unknown): Promise<unknown>;
  subscription(
    path: string,
    input: unknown,
    handlers: { onData: (value: unknown) => void; onError: (err: unknown) => void },
  ): { unsubscribe(): void };
}

export interface SubscriptionHandlers<T> {
  onData: (value: T) => void;
  onError?: (err: unknown) => void;
}

type ArgsOf<I extends z.ZodType> = undefined extends z.input<I> ? [input?: z.input<I>] : [input: z.input<I>];

type ClientProcedure<P> =
  P extends ProcedureDef<infer K, infer I, infer O>
    ? K extends "subscription"
      ? (...args: [...ArgsOf<I>, SubscriptionHandlers<z.output<O>>] | [SubscriptionHandlers<z.output<O>>]) => () => void
      : (...args: ArgsOf<I>) => Promise<z.output<O>>
    : never;

export type ContractClient = {
  [NS in keyof Contract]: { [Name in keyof Contract[NS]]: ClientProcedure<Contract[NS][Name]> };
};

export function createContractClient(transport: ProcedureTransport): ContractClient {
  const client: Record<string, Record<string, unknown>> = {};
  for (const [ns, procs] of Object.entries(contract)) {
    const nsClient: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(procs) as Array<
      [string, ProcedureDef<"query" | "mutation" | "subscription", z.ZodType, z.ZodType>]
    >) {
      const path = `${ns}.${name}`;
      if (p.kind === "subscription") {
        nsClient[name] = (...args: unknown[]) => {
          const handlers = args[args.length - 1] as SubscriptionHandlers<unknown>;
          const input = args.length > 1 ? args[0] : undefined;
          const sub = transport.subscription(path, input, {
            onData: (value) => handlers.onData(p.output.parse(value)),
            onError: (err) => handlers.onError?.(err),
          });
          return () => sub.unsubscribe();
        };
      } else {
        const call = p.kind === "query" ? transport.query.bind(transport) : transport.mutation.bind(transport);
        nsClient[name] = async (input?: unknown) => p.output.parse(await call(path, input));
      }
    }
    client[ns] = nsClient;
  }
  return client as unknown as ContractClient;
}
