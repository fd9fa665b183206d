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
