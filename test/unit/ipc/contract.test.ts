import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../../src-main/ipc/router";
import { createCallerFactory } from "../../../src-main/ipc/trpc";
import { createServices } from "../../../src-main/services";
import { contract, listProcedures } from "../../../src-shared/contract";
import { signInAccount } from "../../support/accounts-fixtures";

const services = createServices({
  dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "rd-ipc-")),
  transport: "in-process",
  modelPackDir: null,
});
const caller = createCallerFactory(appRouter)({ services });
// The router answers a signed-in account only (src-main/ipc/sign-in-gate.ts; its own test: sign-in-gate.test.ts).
beforeAll(() => signInAccount(services.accounts));
afterAll(() => services.close());

function procedureAt(p: string): (input: unknown) => Promise<unknown> {
  const [ns, name] = p.split(".") as [string, string];
  // biome-ignore lint/suspicious/noExplicitAny: walking the router by path.
  return (caller as any)[ns][name];
}

describe("IPC contract", () => {
  it("the router implements exactly the contract's procedures, with the same kinds", () => {
    type Flags = { query?: boolean; mutation?: boolean; subscription?: boolean };
    const kindOf = (d: Flags) => (d.query ? "query" : d.mutation ? "mutation" : d.subscription ? "subscription" : "?");
    const routerProcs = Object.entries(appRouter._def.procedures as Record<string, { _def: Flags }>)
      .map(([p, v]) => `${p}:${kindOf(v._def)}`)
      .sort();
    const contractProcs = listProcedures()
      .map(([p, d]) => `${p}:${d.kind}`)
      .sort();
    expect(routerProcs).toEqual(contractProcs);
  });

  // Inputs no procedure accepts: wrong type entirely, and an object with an unknown key.
  const invalidInputs: unknown[] = [12345, { unexpectedKey: true }];

  for (const [p, def] of listProcedures()) {
    it(`${p} answers invalid input with a clear validation error`, async () => {
      for (const bad of invalidInputs) {
        if (def.kind === "subscription") {
          // Subscriptions validate their input when subscribed.
          await expect(procedureAt(p)(bad)).rejects.toSatisfy((e: unknown) => {
            return e instanceof TRPCError && e.code === "BAD_REQUEST";
          });
          continue;
        }
        const err = await procedureAt(p)(bad).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, `${p} accepted ${JSON.stringify(bad)}`).toBeInstanceOf(TRPCError);
        expect((err as TRPCError).code).toBe("BAD_REQUEST");
        expect(def.input.safeParse(bad).success).toBe(false);
      }
    });
  }

  it("the round trip answers valid input with output that matches the contract", async () => {
    const info = await caller.app.info();
    expect(contract.app.info.output.parse(info).databasePath).toBe(
      path.join(services.app.info().dataDir, "cases.sqlite"),
    );
    const pong = await caller.app.ping({ message: "hi" });
    expect(pong.message).toBe("hi");
    expect(await caller.studies.list({})).toEqual([]);
    await expect(caller.studies.get({ studyId: "missing" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
