import { z } from "zod";
import {
  MAX_MACROS_FILE_CHARS,
  MacroEditSchema,
  MacroInputSchema,
  MacroListSchema,
  MacroSchema,
  MacrosExportSchema,
  MacrosImportResultSchema,
} from "../macro-types";
import { def, NoInput } from "./define";

export const macrosContract = {
  list: def(
    "query",
    NoInput,
    MacroListSchema,
    "The built-in templates and the signed-in account's macros (the workstation's while no account exists).",
  ),
  create: def("mutation", MacroInputSchema, MacroSchema, "Creates a macro: name, text with slots, optional hotkey."),
  update: def("mutation", MacroEditSchema, MacroSchema, "Edits a macro's name, text or hotkey (null removes it)."),
  delete: def(
    "mutation",
    z.object({ id: z.number().int().positive() }).strict(),
    z.object({ id: z.number().int() }).strict(),
    "Deletes a macro of the signed-in account.",
  ),
  exportJson: def("query", NoInput, MacrosExportSchema, "The account's macros as a JSON file (name and text)."),
  importJson: def(
    "mutation",
    z.object({ json: z.string().max(MAX_MACROS_FILE_CHARS, "the file is too large for a macros file") }).strict(),
    MacrosImportResultSchema,
    "Imports a macros JSON file: adds new names, replaces same-named macros; all or nothing, errors name the entry.",
  ),
} as const;
