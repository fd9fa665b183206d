/**
 * The PACS part of the worklist: which connection and which filters it shows. The PACS studies panel's last search
 * sets it (its filters are the worklist's), and the worklist reads it; until a search is made, the worklist shows
 * the first connection's CR/DX studies.
 */
import { useSyncExternalStore } from "react";
import type { PacsStudyQuery } from "../../../../src-shared/pacs-types";

let current: PacsStudyQuery | null = null;
const listeners = new Set<() => void>();

export function setPacsWorklistQuery(query: PacsStudyQuery): void {
  current = query;
  for (const l of listeners) l();
}

export function usePacsWorklistQuery(): PacsStudyQuery | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
