import { afterEach, describe, expect, it } from "vitest";
import { commands, formatChord, formatKeys } from "../../../src-renderer/src/commands/commands";
import { rebind, setOverrides, withShortcut } from "../../../src-renderer/src/commands/key-bindings";

afterEach(() => setOverrides({}));

describe("commands as data", () => {
  it("has one row per command id", () => {
    const ids = commands.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("writes chords as the UI shows them", () => {
    const shown: Record<string, string> = {
      "Ctrl+Shift+s": "Ctrl+Shift+S",
      "Ctrl+o": "Ctrl+O",
      "Ctrl+,": "Ctrl+,",
      Escape: "Esc",
      "+": "+",
      "Ctrl++": "Ctrl++",
      i: "i",
    };
    for (const [chord, text] of Object.entries(shown)) expect(formatChord(chord), chord).toBe(text);
    expect(formatKeys(["Ctrl+Shift+z", "Ctrl+y"])).toBe("Ctrl+Shift+Z, Ctrl+Y");
  });

  it("reads hints from the current bindings, so a rebinding changes them", () => {
    expect(withShortcut("Sign and lock the report", "report.sign")).toBe("Sign and lock the report (Ctrl+Shift+S)");
    setOverrides(rebind("report.sign", "Alt+s").overrides);
    expect(withShortcut("Sign and lock the report", "report.sign")).toBe("Sign and lock the report (Alt+S)");
    // A key taken from another command leaves that command's hint.
    setOverrides(rebind("worklist.import", "i").overrides);
    expect(withShortcut("Invert", "viewer.invert")).toBe("Invert");
    expect(withShortcut("Import", "worklist.import")).toBe("Import (i)");
  });
});
