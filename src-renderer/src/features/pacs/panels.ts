/**
 * Which department panel is open (Settings or PACS studies): one small store shared by the commands, the status-bar
 * buttons and the panels themselves, so a key, a click and Escape all go through the same state.
 */
import { useSyncExternalStore } from "react";

export type DepartmentPanel = "settings" | "pacs-studies" | null;

let current: DepartmentPanel = null;
const listeners = new Set<() => void>();

export function openPanel(panel: DepartmentPanel): void {
  current = panel;
  for (const l of listeners) l();
}

export function togglePanel(panel: Exclude<DepartmentPanel, null>): void {
  openPanel(current === panel ? null : panel);
}

export function useOpenPanel(): DepartmentPanel {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}

/** "Retrieval failed: …" from a transport error (the service's one-line message). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A DICOM DA as YYYY-MM-DD ("no date" when absent). */
export function formatDate(da: string | null): string {
  return da && /^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : (da ?? "no date");
}

/** A DICOM PN as the worklist writes names: "Family, Given". */
export function formatName(pn: string | null): string {
  if (!pn) return "(no name)";
  const [family = "", given = ""] = pn.split("^");
  return [family, given].filter(Boolean).join(", ");
}
