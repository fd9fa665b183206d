/**
 * The viewer toolbar as data: each button runs a command of the command table (src/commands/commands.ts), so a
 * button, its hotkey (rebindable) and the help overlay always agree. `text` is the button's face.
 */
import type { CommandId } from "../../commands/commands";

export interface ToolbarButton {
  command: CommandId;
  text: string;
}

export type ToolbarGroup = readonly ToolbarButton[];

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
  [
    { command: "viewer.tool.windowLevel", text: "W/L" },
    { command: "viewer.tool.length", text: "Length" },
    { command: "viewer.tool.angle", text: "Angle" },
    { command: "viewer.tool.ellipse", text: "ROI" },
    { command: "viewer.tool.probe", text: "Probe" },
    { command: "viewer.tool.ctr", text: "CTR" },
  ],
];
