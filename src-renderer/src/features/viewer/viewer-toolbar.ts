/**
 * The viewer toolbar as data: each button runs a command of the command table (src/commands/commands.ts), so a
 * button, its hotkey (rebindable) and the help overlay always agree. `text` is the button's face.
 */
import type { CommandId } from "../../commands/commands";
import type { MeasureTool } from "./measure-tool-data";

export interface ToolbarButton {
  command: CommandId;
  text: string;
}

export type ToolbarGroup = readonly ToolbarButton[];

/** A button that picks what the left button does: a measuring tool, or none (window / level). */
export interface ToolButton extends ToolbarButton {
  tool: MeasureTool | null;
}

/**
 * The one table of "command id -> measuring tool": the viewer registers each command's handler from it (a tool's
 * command toggles that tool, W/L's picks none), its buttons are the toolbar's last group, and a button is shown
 * pressed while its tool is the one in use.
 */
export const TOOL_BUTTONS = [
  { command: "viewer.tool.windowLevel", tool: null, text: "W/L" },
  { command: "viewer.tool.length", tool: "length", text: "Length" },
  { command: "viewer.tool.angle", tool: "angle", text: "Angle" },
  { command: "viewer.tool.ellipse", tool: "ellipse", text: "ROI" },
  { command: "viewer.tool.probe", tool: "probe", text: "Probe" },
  { command: "viewer.tool.ctr", tool: "ctr", text: "CTR" },
] as const satisfies readonly ToolButton[];

/** The tool a command picks (null: window / level); undefined when the command picks no tool. */
export function toolOfCommand(command: CommandId): MeasureTool | null | undefined {
  return TOOL_BUTTONS.find((b) => b.command === command)?.tool;
}

export const VIEWER_TOOLBAR: readonly ToolbarGroup[] = [
  [
    { command: "viewer.preset.default", text: "Default" },
    { command: "viewer.preset.lung", text: "Lung" },
    { command: "viewer.preset.mediastinum", text: "Mediast." },
    { command: "viewer.preset.bone", text: "Bone" },
  ],
  [
    { command: "viewer.zoomIn", text: "Zoom +" },
    { command: "viewer.zoomOut", text: "Zoom −" },
    { command: "viewer.fit", text: "Fit" },
  ],
  [
    { command: "viewer.invert", text: "Invert" },
    { command: "viewer.rotateLeft", text: "⟲ 90°" },
    { command: "viewer.rotateRight", text: "⟳ 90°" },
    { command: "viewer.flipHorizontal", text: "Flip H" },
    { command: "viewer.flipVertical", text: "Flip V" },
  ],
  [{ command: "viewer.reset", text: "Reset" }],
  TOOL_BUTTONS,
];
