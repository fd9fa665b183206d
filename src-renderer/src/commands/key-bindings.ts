/**
 * Rebindable keys: the defaults are the command table (./commands.ts); the user's overrides (command id → chords)
 * are stored by main (keyBindings.get / keyBindings.set, in the case database) and applied on top. The key listener,
 * the help overlay and every shortcut hint in the UI (useShortcutHint, useShortcutKey) read the effective table here.
 */
import { useSyncExternalStore } from "react";
import type { KeyBindingOverrides } from "../../../src-shared/import-types";
import { type CommandDef, type CommandId, commands, formatChord, formatKeys } from "./commands";

let overrides: KeyBindingOverrides = {};
let table: readonly CommandDef[] = commands;
const listeners = new Set<() => void>();

function applyOverrides(next: KeyBindingOverrides): readonly CommandDef[] {
  return commands.map((c) => (next[c.id] ? { ...c, keys: [...(next[c.id] ?? [])] } : c));
}

export function getOverrides(): KeyBindingOverrides {
  return overrides;
}

export function setOverrides(next: KeyBindingOverrides): void {
  // Overrides of commands this build does not have are kept (another version may have them) but not applied.
  overrides = next;
  table = applyOverrides(next);
  for (const listener of listeners) listener();
}

/** The command table with the user's keys. */
export function effectiveCommands(): readonly CommandDef[] {
  return table;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useEffectiveCommands(): readonly CommandDef[] {
  return useSyncExternalStore(subscribe, effectiveCommands, effectiveCommands);
}

/** The keys of one command, e.g. for a toolbar tooltip. */
export function keysOf(id: CommandId, current: readonly CommandDef[] = table): readonly string[] {
  return current.find((c) => c.id === id)?.keys ?? [];
}

/** `text` with the command's current keys: "Sign and lock the report (Ctrl+Shift+S)"; just `text` when unbound. */
export function withShortcut(text: string, id: CommandId, current: readonly CommandDef[] = table): string {
  const keys = formatKeys(keysOf(id, current));
  return keys ? `${text} (${keys})` : text;
}

/**
 * Shortcut hints for titles, menus and placeholders, read from the current bindings: the component re-renders when
 * a key is rebound, so a hint never names an old key.
 */
export function useShortcutHint(): (text: string, id: CommandId) => string {
  const current = useEffectiveCommands();
  return (text, id) => withShortcut(text, id, current);
}

/** The first current key of a command as the UI writes it ("Esc"), for a button whose face is its key; "" if none. */
export function useShortcutKey(id: CommandId): string {
  const first = keysOf(id, useEffectiveCommands())[0];
  return first ? formatChord(first) : "";
}

/**
 * Overrides after binding `chord` to `id` (as its only key). Any other command that had the chord loses it, so a
 * key press always means one thing. Returns the new overrides and the commands that lost the chord.
 */
export function rebind(id: string, chord: string): { overrides: KeyBindingOverrides; displaced: CommandDef[] } {
  const next: KeyBindingOverrides = { ...overrides, [id]: [chord] };
  const displaced: CommandDef[] = [];
  for (const c of table) {
    if (c.id === id || !c.keys.includes(chord)) continue;
    displaced.push(c);
    next[c.id] = c.keys.filter((k) => k !== chord);
  }
  return { overrides: next, displaced };
}

/** Overrides after restoring one command's default keys. */
export function resetBinding(id: string): KeyBindingOverrides {
  const { [id]: _removed, ...rest } = overrides;
  return rest;
}

/** Keys a user cannot take for a command: they are the way out of overlays and of the key capture itself. */
export const RESERVED_CHORDS: readonly string[] = ["Escape", "Tab", "Shift+Tab"];
