import { z } from "zod";
import { AccountSchema, AccountSessionSchema, CreateAccountInputSchema, CredentialSchema } from "../account-types";
import { def, NoInput } from "./define";

export const accountsContract = {
  session: def(
    "query",
    NoInput,
    AccountSessionSchema,
    "Who is signed in, whether the session is locked (idle), and whether no account exists yet (first run).",
  ),
  list: def("query", NoInput, z.array(AccountSchema), "Every local account (no hashes)."),
  create: def(
    "mutation",
    CreateAccountInputSchema,
    AccountSchema,
    "Creates an account (the first without signing in, and signs it in; later ones need a signed-in account).",
  ),
  signIn: def(
    "mutation",
    z.object({ username: z.string().max(64), password: z.string().max(256) }).strict(),
    AccountSessionSchema,
    "Signs in with user name and password.",
  ),
  signOut: def("mutation", NoInput, AccountSessionSchema, "Signs out."),
  activity: def(
    "mutation",
    NoInput,
    AccountSessionSchema,
    "The user is at the workstation (keyboard or pointer input): keeps an unlocked session from idling; reports the session.",
  ),
  lock: def("mutation", NoInput, AccountSessionSchema, "Locks the session now; the password or PIN unlocks it."),
  unlock: def("mutation", CredentialSchema, AccountSessionSchema, "Unlocks the session with the password or PIN."),
  setIdleLock: def(
    "mutation",
    z.object({ seconds: z.number().int() }).strict(),
    AccountSessionSchema,
    "Sets the idle time after which the session locks (30 s to 24 h).",
  ),
} as const;
