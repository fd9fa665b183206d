/**
 * The viewer toolbar's tool buttons (src-renderer viewer-toolbar.ts) are the one table of "command id -> measuring
 * tool": every measuring tool has exactly one command, W/L picks none, each is a command of the command table, the
 * toolbar shows them, and toolOfCommand answers undefined for a command that picks no tool.
 */
import { describe, expect, it } from "vitest";
import { commands } from "../../../src-renderer/src/commands/commands";
import { TOOL_BUTTONS, toolOfCommand, VIEWER_TOOLBAR } from "../../../src-renderer/src/features/viewer/viewer-toolbar";
import { MEASUREMENT_KINDS } from "../../../src-shared/measurements";

describe("viewer toolbar tool commands", () => {
  it("map each measuring tool, and W/L, to one command of the command table", () => {
    const tools = TOOL_BUTTONS.map((b) => b.tool);
    expect([...tools].sort()).toEqual([...MEASUREMENT_KINDS, null].sort());
    expect(new Set(TOOL_BUTTONS.map((b) => b.command)).size).toBe(TOOL_BUTTONS.length);
    for (const button of TOOL_BUTTONS) {
      expect(commands.some((c) => c.id === button.command)).toBe(true);
      expect(toolOfCommand(button.command)).toBe(button.tool);
    }
    expect(toolOfCommand("viewer.tool.windowLevel")).toBeNull();
    expect(toolOfCommand("viewer.tool.ctr")).toBe("ctr");
  });

  it("are the toolbar's tool group, and no other button picks a tool", () => {
    expect(VIEWER_TOOLBAR).toContain(TOOL_BUTTONS);
    const others = VIEWER_TOOLBAR.filter((g) => g !== TOOL_BUTTONS).flat();
    for (const button of others) expect(toolOfCommand(button.command)).toBeUndefined();
    expect(
      commands
        .filter((c) => c.id.startsWith("viewer.tool."))
        .map((c) => c.id)
        .sort(),
    ).toEqual(TOOL_BUTTONS.map((b) => b.command).sort());
  });
});
