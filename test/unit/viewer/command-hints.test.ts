import { afterEach, describe, expect, it } from "vitest";
import { commands, formatChord, formatKeys } from "../../../src-renderer/src/commands/commands";
import { rebind, setOverrides, withShortcut } from "../../../src-renderer/src/commands/key-bindings";

afterEach(() => setOverrides({}));

describe("commands as data", () => {
  it("has one row per command id", () => {
    const ids = commands.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("gives every default key to one command only", () => {
    const owners = new Map<string, string[]>();
    for (const c of commands) for (const k of c.keys) owners.set(k, [...(owners.get(k) ?? []), c.id]);
    const clashes = [...owners].filter(([, ids]) => ids.length > 1);
    expect(clashes).toEqual([]);
  });

  it("has the Open beside commands of the Priors pane and the similar cases, and closing the comparison", () => {
    const keys = Object.fromEntries(commands.map((c) => [c.id, c.keys]));
    expect(keys["priors.openBeside"]).toEqual(["Alt+b"]);
    expect(keys["similar.openBeside"]).toEqual(["Alt+c"]);
    expect(keys["viewer.closeComparison"]).toEqual(["Alt+x"]);
    expect(withShortcut("Open beside", "similar.openBeside")).toBe("Open beside (Alt+C)");
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
