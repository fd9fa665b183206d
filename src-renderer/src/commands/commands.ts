/**
 * Commands and their default key bindings, kept as data (OHIF style): this table is the one list of command ids
 * (`CommandId`, checked by the compiler wherever a command is registered, run or hinted). Components register
 * handlers for ids (`useCommands`), buttons and the one key listener run them (`useRunCommand`), the help overlay
 * lists the table, and every shortcut hint in the UI is read from the current bindings (`useShortcutHint`).
 */
export type CommandGroup = "General" | "Worklist" | "Viewer" | "Report";

interface CommandSpec {
  id: string;
  label: string;
  group: CommandGroup;
  /** Key chords, e.g. "?", "F1", "Ctrl+Shift+s", "ArrowDown". */
  keys: readonly string[];
  /** Whether the binding also fires while typing in a text field. */
  whileTyping?: boolean;
}

const COMMAND_TABLE = [
  { id: "help.toggle", label: "Show or hide keyboard shortcuts", group: "General", keys: ["?", "F1"] },
  { id: "overlay.close", label: "Close the open overlay", group: "General", keys: ["Escape"], whileTyping: true },
  { id: "settings.open", label: "Settings (idle lock, PACS connections)", group: "General", keys: ["Ctrl+,"] },
  // Who signs (issue 18.1, docs/security.md "Accounts"): the lock screen takes the same account's password or PIN.
  {
    id: "session.lock",
    label: "Lock the workstation (your password or PIN unlocks it)",
    group: "General",
    keys: ["Ctrl+Shift+l"],
    whileTyping: true,
  },
  { id: "worklist.focusSearch", label: "Search the worklist", group: "Worklist", keys: ["/"] },
  { id: "worklist.next", label: "Next study", group: "Worklist", keys: ["ArrowDown", "j"] },
  { id: "worklist.previous", label: "Previous study", group: "Worklist", keys: ["ArrowUp", "k"] },
  { id: "worklist.import", label: "Import files or a folder", group: "Worklist", keys: ["Ctrl+o"] },
  { id: "pacs.studies", label: "Search and open PACS studies (DICOMweb)", group: "Worklist", keys: ["Ctrl+Shift+o"] },
  // Layouts, priors and the thumbnail strip (issue 17.1, 17.4, 17.5).
  { id: "viewer.layout.1x1", label: "Layout: 1-up (the active viewport)", group: "Viewer", keys: ["Ctrl+Alt+1"] },
  { id: "viewer.layout.1x2", label: "Layout: 2-up (side by side)", group: "Viewer", keys: ["Ctrl+Alt+2"] },
  { id: "viewer.layout.2x2", label: "Layout: 2×2 (current and prior)", group: "Viewer", keys: ["Ctrl+Alt+4"] },
  {
    id: "viewer.maximise",
    label: "Maximise the active viewport, or restore (double click)",
    group: "Viewer",
    keys: ["Alt+Enter"],
  },
  { id: "layout.toggleWorklist", label: "Collapse or show the worklist", group: "Viewer", keys: ["Alt+["] },
  { id: "layout.toggleSidePanes", label: "Collapse or show the side panes", group: "Viewer", keys: ["Alt+]"] },
  {
    id: "viewer.hangPrior",
    label: "Hanging protocol: current frontal beside the most recent prior frontal",
    group: "Viewer",
    keys: ["Alt+p"],
  },
  { id: "viewer.focusStrip", label: "Go to the thumbnail strip (arrows, Enter)", group: "Viewer", keys: ["Alt+s"] },
  // "Open beside" in the Priors pane and on the similar-case cards, and closing the comparison (issue 17.6): the
  // buttons run these commands. "The selected" one is the row or card that holds (or last held) the focus.
  {
    id: "priors.openBeside",
    label: "Open the selected prior (else the most recent) beside the current study",
    group: "Viewer",
    keys: ["Alt+b"],
  },
  {
    id: "similar.openBeside",
    label: "Open the selected similar case (else the most similar) beside the current study",
    group: "Viewer",
    keys: ["Alt+c"],
  },
  { id: "viewer.closeComparison", label: "Close the comparison (the study beside)", group: "Viewer", keys: ["Alt+x"] },
  { id: "viewer.preset.default", label: "Window: default (from the file)", group: "Viewer", keys: ["1"] },
  { id: "viewer.preset.lung", label: "Window: lung", group: "Viewer", keys: ["2"] },
  { id: "viewer.preset.mediastinum", label: "Window: mediastinum", group: "Viewer", keys: ["3"] },
  { id: "viewer.preset.bone", label: "Window: bone", group: "Viewer", keys: ["4"] },
  { id: "viewer.invert", label: "Invert grey scale", group: "Viewer", keys: ["i"] },
  { id: "viewer.zoomIn", label: "Zoom in", group: "Viewer", keys: ["=", "+"] },
  { id: "viewer.zoomOut", label: "Zoom out", group: "Viewer", keys: ["-"] },
  { id: "viewer.fit", label: "Fit to viewport", group: "Viewer", keys: ["f"] },
  { id: "viewer.rotateRight", label: "Rotate 90° clockwise", group: "Viewer", keys: ["]"] },
  { id: "viewer.rotateLeft", label: "Rotate 90° counter-clockwise", group: "Viewer", keys: ["["] },
  { id: "viewer.flipHorizontal", label: "Flip horizontally", group: "Viewer", keys: ["h"] },
  { id: "viewer.flipVertical", label: "Flip vertically", group: "Viewer", keys: ["v"] },
  { id: "viewer.reset", label: "Reset the viewport", group: "Viewer", keys: ["0", "Home"] },
  {
    id: "viewer.switchViewport",
    label: "Switch the active viewport (frontal / lateral)",
    group: "Viewer",
    keys: ["x"],
  },
  {
    id: "viewer.nextImage",
    label: "Next image of the study in the active viewport",
    group: "Viewer",
    keys: ["PageDown"],
  },
  {
    id: "viewer.previousImage",
    label: "Previous image of the study in the active viewport",
    group: "Viewer",
    keys: ["PageUp"],
  },
  { id: "viewer.orientationMarkers", label: "Show or hide the orientation markers", group: "Viewer", keys: ["o"] },
  { id: "viewer.magnifier", label: "Magnifier under the cursor (on / off)", group: "Viewer", keys: ["g"] },
  {
    id: "viewer.pixelValue",
    label: "Pixel value under the cursor: stored and modality value (on / off)",
    group: "Viewer",
    keys: ["u"],
  },
  { id: "viewer.tags", label: "DICOM tags of the active image", group: "Viewer", keys: ["Ctrl+i"] },
  // Measurements with cornerstone-tools (issue 17.2): the left button draws with the chosen tool; stored with the study.
  { id: "viewer.tool.length", label: "Measure: length (drag)", group: "Viewer", keys: ["l"] },
  {
    id: "viewer.tool.angle",
    label: "Measure: angle (drag one arm, click the other's end)",
    group: "Viewer",
    keys: ["a"],
  },
  {
    id: "viewer.tool.ellipse",
    label: "Measure: elliptical ROI, area with mean and SD (drag)",
    group: "Viewer",
    keys: ["e"],
  },
  {
    id: "viewer.tool.probe",
    label: "Probe: stored and modality value at a point (click)",
    group: "Viewer",
    keys: ["p"],
  },
  {
    id: "viewer.tool.ctr",
    label: "Measure: cardiothoracic ratio (drag the cardiac width, click both ends of the thoracic width)",
    group: "Viewer",
    keys: ["c"],
  },
  {
    id: "viewer.tool.windowLevel",
    label: "Left button: window / level (no measuring tool)",
    group: "Viewer",
    keys: ["w"],
  },
  { id: "viewer.measurement.delete", label: "Delete the selected measurement", group: "Viewer", keys: ["Delete"] },
  {
    id: "viewer.measurement.insert",
    label: "Insert the selected measurement into the report at the cursor (a sentence)",
    group: "Viewer",
    keys: ["Alt+m"],
    whileTyping: true,
  },
  { id: "report.undo", label: "Undo in the report section (last focused)", group: "Report", keys: ["Ctrl+z"] },
  {
    id: "report.redo",
    label: "Redo in the report section (last focused)",
    group: "Report",
    keys: ["Ctrl+Shift+z", "Ctrl+y"],
  },
  {
    id: "report.save",
    label: "Save the draft now (it autosaves)",
    group: "Report",
    keys: ["Ctrl+s"],
    whileTyping: true,
  },
  { id: "report.focusIndication", label: "Go to Indication", group: "Report", keys: ["Alt+1"], whileTyping: true },
  { id: "report.focusComparison", label: "Go to Comparison", group: "Report", keys: ["Alt+2"], whileTyping: true },
  { id: "report.focusFindings", label: "Go to Findings", group: "Report", keys: ["Alt+3"], whileTyping: true },
  { id: "report.focusImpression", label: "Go to Impression", group: "Report", keys: ["Alt+4"], whileTyping: true },
  {
    id: "report.regenerate",
    label: "Regenerate the AI draft (asks before replacing your edits)",
    group: "Report",
    keys: ["Alt+r"],
    whileTyping: true,
  },
  {
    id: "report.suggestImpression",
    label: "Suggest impression from the findings (asks before replacing your impression)",
    group: "Report",
    keys: ["Alt+g"],
    whileTyping: true,
  },
  { id: "report.sign", label: "Sign the report", group: "Report", keys: ["Ctrl+Shift+s"], whileTyping: true },
  // Templates and macros (issue 18.4, docs/reports.md "Templates and macros").
  {
    id: "report.macros",
    label: "Insert a macro or template at the cursor (search by name)",
    group: "Report",
    keys: ["Ctrl+Shift+m"],
    whileTyping: true,
  },
  {
    id: "report.manageMacros",
    label: "Macros: create, edit, delete, import and export",
    group: "Report",
    keys: ["Ctrl+Alt+m"],
    whileTyping: true,
  },
  // Handled by the section editor itself (a slot's own keys), listed here so the help shows and rebinds them.
  {
    id: "report.nextSlot",
    label: "Next template slot ([a|b] pick-list or ___ blank) in the section",
    group: "Report",
    keys: ["Tab"],
  },
  { id: "report.previousSlot", label: "Previous template slot in the section", group: "Report", keys: ["Shift+Tab"] },
] as const satisfies readonly CommandSpec[];

/** The id of a command of the table. */
export type CommandId = (typeof COMMAND_TABLE)[number]["id"];

export interface CommandDef extends CommandSpec {
  id: CommandId;
}

export const commands: readonly CommandDef[] = COMMAND_TABLE;

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

const KEY_NAMES: Readonly<Record<string, string>> = {
  Escape: "Esc",
  ArrowDown: "↓",
  ArrowUp: "↑",
  ArrowLeft: "←",
  ArrowRight: "→",
};

/** A chord as the UI writes it: "Ctrl+Shift+s" → "Ctrl+Shift+S", "Escape" → "Esc"; a bare letter stays ("i"). */
export function formatChord(chord: string): string {
  // "+" and "Ctrl++" end with the key "+" itself.
  const parts = chord.endsWith("+") ? [...chord.slice(0, -1).split("+").filter(Boolean), "+"] : chord.split("+");
  const key = parts[parts.length - 1] ?? "";
  const modified = parts.length > 1;
  const shown = KEY_NAMES[key] ?? (modified && /^[a-z]$/.test(key) ? key.toUpperCase() : key);
  return [...parts.slice(0, -1), shown].join("+");
}

/** A command's keys for a hint: "Ctrl+Z, Ctrl+Y"; "" when it has none. */
export function formatKeys(keys: readonly string[]): string {
  return keys.map(formatChord).join(", ");
}
