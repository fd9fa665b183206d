import { z } from "zod";
import { KeyBindingOverridesSchema } from "../import-types";
import { def, NoInput } from "./define";

export const keyBindingsContract = {
  get: def("query", NoInput, KeyBindingOverridesSchema, "The user's key-binding overrides (command id → key chords)."),
  set: def(
    "mutation",
    z.object({ overrides: KeyBindingOverridesSchema }).strict(),
    KeyBindingOverridesSchema,
    "Replaces the user's key-binding overrides (stored in the case database's settings); returns what was stored.",
  ),
} as const;
