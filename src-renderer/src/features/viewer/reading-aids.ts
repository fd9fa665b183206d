/**
 * Which reading aids are on, for every viewport at once: orientation markers (on by default), the magnifier and
 * the pixel value under the cursor (off). The viewer's commands toggle them (./ReadingAids.tsx); each viewport
 * reads them (./ViewportAids.tsx). Kept for the session, not stored.
 */
import { useSyncExternalStore } from "react";

export interface ReadingAidState {
  readonly markers: boolean;
  readonly magnifier: boolean;
  readonly pixelValue: boolean;
}

let state: ReadingAidState = { markers: true, magnifier: false, pixelValue: false };
const listeners = new Set<() => void>();

export function toggleReadingAid(aid: keyof ReadingAidState): void {
  state = { ...state, [aid]: !state[aid] };
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useReadingAids(): ReadingAidState {
  return useSyncExternalStore(
    subscribe,
    () => state,
    () => state,
  );
}
