/**
 * Commands and their default key bindings, kept as data (OHIF style). Components register handlers for command
 * ids; one key listener maps key presses to commands; the help overlay lists this table.
 */
export type CommandGroup = "General" | "Worklist" | "Viewer" | "Report";

export interface CommandDef {
  id: string;
  label: string;
  group: CommandGroup;
  /** Key chords, e.g. "?", "F1", "Ctrl+Shift+S", "ArrowDown". */
  keys: string[];
  /** Whether the binding also fires while typing in a text field. */
  whileTyping?: boolean;
}

export const commands: readonly CommandDef[] = [
  { id: "help.toggle", label: "Show or hide keyboard shortcuts", group: "General", keys: ["?", "F1"] },
  { id: "overlay.close", label: "Close the open overlay", group: "General", keys: ["Escape"], whileTyping: true },
  { id: "worklist.focusSearch", label: "Search the worklist", group: "Worklist", keys: ["/"] },
  { id: "worklist.next", label: "Next study", group: "Worklist", keys: ["ArrowDown", "j"] },
  { id: "worklist.previous", label: "Previous study", group: "Worklist", keys: ["ArrowUp", "k"] },
];

/** Normalises a KeyboardEvent to the chord notation used above. */
export function chordOf(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">): string {
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push("Ctrl");
  if (e.altKey) parts.push("Alt");
  // Shift is part of printable keys already ("?" vs "/"); keep it only for named keys and letters.
  const named = e.key.length > 1;
  if (e.shiftKey && (named || /^[a-z]$/i.test(e.key))) parts.push("Shift");
  parts.push(named ? e.key : e.key.length === 1 && /[a-z]/i.test(e.key) ? e.key.toLowerCase() : e.key);
  return parts.join("+");
}

export function findCommand(chord: string, table: readonly CommandDef[] = commands): CommandDef | undefined {
  return table.find((c) => c.keys.includes(chord));
}
