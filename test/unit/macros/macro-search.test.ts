/** The macro search box's filter and the manager's hotkey check (issue 18.4), over the real command table. */
import { afterEach, describe, expect, it } from "vitest";
import { rebind, setOverrides } from "../../../src-renderer/src/commands/key-bindings";
import { filterMacros, hotkeyProblem } from "../../../src-renderer/src/features/macros/macro-search";
import type { Macro } from "../../../src-shared/macro-types";

afterEach(() => setOverrides({}));

const macro = (name: string): Macro => ({
  id: null,
  builtIn: false,
  name,
  text: "x",
  hotkey: null,
  createdAt: null,
  updatedAt: null,
});

describe("macro search and hotkeys", () => {
  it("filters by every word of the query, any case; names starting with it first", () => {
    const list = ["Pleural effusion", "Normal chest", "Effusion small", "Lines and tubes"].map(macro);
    expect(filterMacros(list, "eff").map((m) => m.name)).toEqual(["Effusion small", "Pleural effusion"]);
    expect(filterMacros(list, "  EFF pleu ").map((m) => m.name)).toEqual(["Pleural effusion"]);
    expect(filterMacros(list, "").map((m) => m.name)).toEqual(list.map((m) => m.name));
    expect(filterMacros(list, "ct")).toEqual([]);
  });

  it("refuses chords without Ctrl or Alt and the command table's current keys", () => {
    expect(hotkeyProblem("Alt+Shift+e")).toBeNull();
    expect(hotkeyProblem("m")).toBe(
      "m is not a hotkey: use Ctrl or Alt (optionally with Shift) and one key, e.g. Alt+Shift+N",
    );
    expect(hotkeyProblem("Ctrl+Shift+m")).toBe(
      "Ctrl+Shift+M is the key of “Insert a macro or template at the cursor (search by name)”; choose another",
    );
    // A rebinding counts: the key given to a command is taken, the one it left is free.
    setOverrides(rebind("report.sign", "Alt+Shift+e").overrides);
    expect(hotkeyProblem("Alt+Shift+e")).toBe("Alt+Shift+E is the key of “Sign the report”; choose another");
    expect(hotkeyProblem("Ctrl+Shift+s")).toBeNull();
  });
});
