/**
 * Report macros (issue 18.4): the schemas main, the IPC contract and the renderer share, and the JSON file they are
 * exported to and imported from. Slots in a macro's text and its section headings: ./templates.ts.
 */
import { z } from "zod";
import { BUILT_IN_TEMPLATES } from "./templates";

export const MAX_MACRO_TEXT = 10_000;
export const MAX_MACROS = 500;

/**
 * A macro's own hotkey, in the command table's chord notation (src-renderer/src/commands/commands.ts): Ctrl and/or
 * Alt, optionally Shift, and one key ("Alt+Shift+n", "Ctrl+Alt+7", "Alt+F5"). Without Ctrl or Alt it would fire
 * while typing.
 */
export const MacroHotkeySchema = z
  .string()
  .regex(
    /^(?=(?:Ctrl|Alt)\+)(?:Ctrl\+)?(?:Alt\+)?(?:Shift\+)?(?:[a-z0-9]|F(?:[1-9]|1[0-2])|[!-*,-/:-@[-`{-~])$/,
    "a hotkey is Ctrl or Alt (optionally with Shift) and one key, e.g. Alt+Shift+n",
  );

const reservedNames = new Set(BUILT_IN_TEMPLATES.map((t) => t.name.toLowerCase()));

export const MacroNameSchema = z
  .string()
  .trim()
  .min(1, "the name is required")
  .max(80, "the name is at most 80 characters")
  .refine((n) => !/[\r\n]/.test(n), "the name is one line")
  .refine((n) => !reservedNames.has(n.toLowerCase()), "this is the built-in template's name; choose another");

export const MacroTextSchema = z
  .string()
  .refine((t) => t.trim() !== "", "the text is empty")
  .refine((t) => t.length <= MAX_MACRO_TEXT, `the text is at most ${MAX_MACRO_TEXT} characters`);

/** A macro as the user writes it (create, and each entry of an imported file). */
export const MacroInputSchema = z
  .object({
    name: MacroNameSchema,
    text: MacroTextSchema,
    hotkey: MacroHotkeySchema.nullable().default(null),
  })
  .strict();
export type MacroInput = z.input<typeof MacroInputSchema>;

export const MacroEditSchema = z
  .object({
    id: z.number().int().positive(),
    name: MacroNameSchema.optional(),
    text: MacroTextSchema.optional(),
    hotkey: MacroHotkeySchema.nullable().optional(),
  })
  .strict();
export type MacroEdit = z.infer<typeof MacroEditSchema>;

export const MacroSchema = z.object({
  /** Null for a built-in template. */
  id: z.number().int().positive().nullable(),
  builtIn: z.boolean(),
  name: z.string(),
  text: z.string(),
  hotkey: z.string().nullable(),
  createdAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type Macro = z.infer<typeof MacroSchema>;

/** Whose macros these are: the signed-in account's, the workstation's (no account exists yet) or none (signed out). */
export const MacroOwnerSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("account"), username: z.string(), displayName: z.string() }),
  z.object({ kind: z.literal("workstation") }),
  z.object({ kind: z.literal("none"), reason: z.string() }),
]);
export type MacroOwner = z.infer<typeof MacroOwnerSchema>;

export const MacroListSchema = z.object({
  owner: MacroOwnerSchema,
  /** The built-in templates first, then the owner's macros by name. */
  macros: z.array(MacroSchema),
});
export type MacroList = z.infer<typeof MacroListSchema>;

export const MACROS_FILE_FORMAT = "radiology-draft/macros";

/** The exported / imported JSON file. */
export const MacrosFileSchema = z
  .object({
    format: z.literal(MACROS_FILE_FORMAT, `not a macros file (format must be "${MACROS_FILE_FORMAT}")`),
    version: z.literal(1, "only version 1 of the macros file is known"),
    exportedAt: z.string().optional(),
    exportedBy: z.string().optional(),
    macros: z.array(MacroInputSchema).max(MAX_MACROS, `at most ${MAX_MACROS} macros`),
  })
  .strict();
export type MacrosFile = z.infer<typeof MacrosFileSchema>;

export const MacrosExportSchema = z.object({ fileName: z.string(), json: z.string(), count: z.number().int() });
export type MacrosExport = z.infer<typeof MacrosExportSchema>;

export const MacrosImportResultSchema = z.object({
  added: z.number().int(),
  updated: z.number().int(),
  list: MacroListSchema,
});
export type MacrosImportResult = z.infer<typeof MacrosImportResultSchema>;

/** Upper bound of an imported file's text. */
export const MAX_MACROS_FILE_CHARS = 2_000_000;
