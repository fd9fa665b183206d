/**
 * The user's key-binding overrides (command id → key chords), kept in the case database's settings table so that
 * they survive restarts in the Electron shell and in the harness (whose origin, and so localStorage, changes with
 * its port). The defaults live with the commands in the renderer (src-renderer/src/commands/commands.ts).
 */
import { type KeyBindingOverrides, KeyBindingOverridesSchema } from "../../../src-shared/import-types";
import type { CaseDatabase } from "../../db/database";

const KEY = "ui.keyBindings";

export class KeyBindingsService {
  constructor(private readonly db: CaseDatabase) {}

  get(): KeyBindingOverrides {
    const row = this.db.prepare("SELECT value FROM settings WHERE key = ?").get(KEY) as { value: string } | undefined;
    if (!row) return {};
    const parsed = KeyBindingOverridesSchema.safeParse(JSON.parse(row.value));
    // A stored value this build cannot read falls back to the defaults rather than breaking the keyboard.
    return parsed.success ? parsed.data : {};
  }

  set(overrides: KeyBindingOverrides): KeyBindingOverrides {
    const value = KeyBindingOverridesSchema.parse(overrides);
    this.db
      .prepare(
        `INSERT INTO settings (key, value) VALUES (?, json(?))
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(KEY, JSON.stringify(value));
    return value;
  }
}
