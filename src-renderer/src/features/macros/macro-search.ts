/** The macro search box's filter and the manager's hotkey check: plain functions over the data (no React). */
import { type Macro, MacroHotkeySchema } from "../../../../src-shared/macro-types";
import { formatChord } from "../../commands/commands";
import { effectiveCommands } from "../../commands/key-bindings";

/** Macros whose name holds every word of the query (any case); names starting with the query first. */
export function filterMacros(macros: readonly Macro[], query: string): Macro[] {
  const q = query.trim().toLowerCase();
  const words = q.split(/\s+/).filter(Boolean);
  const hits = macros.filter((m) => words.every((w) => m.name.toLowerCase().includes(w)));
  const starts = (m: Macro) => m.name.toLowerCase().startsWith(q);
  return [...hits.filter(starts), ...hits.filter((m) => !starts(m))];
}

/** Why a chord cannot be a macro's hotkey (its form, or a command's current key), or null. */
export function hotkeyProblem(chord: string): string | null {
  if (!MacroHotkeySchema.safeParse(chord).success)
    return `${formatChord(chord)} is not a hotkey: use Ctrl or Alt (optionally with Shift) and one key, e.g. Alt+Shift+N`;
  const command = effectiveCommands().find((c) => c.keys.includes(chord));
  return command ? `${formatChord(chord)} is the key of “${command.label}”; choose another` : null;
}
