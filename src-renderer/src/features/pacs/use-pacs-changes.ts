/** A counter that goes up on every `pacs-changed` event (of one area, or of any): a dependency that reloads PACS data. */
import { useEffect, useState } from "react";
import type { AppEvent } from "../../../../src-shared/domain";
import { useClient } from "../../ipc/ClientContext";

type PacsArea = Extract<AppEvent, { type: "pacs-changed" }>["area"];

/** The counter, and a function to bump it (after a change this panel made itself). */
export function usePacsChanges(area?: PacsArea): [number, () => void] {
  const client = useClient();
  const [changes, setChanges] = useState(0);
  useEffect(
    () =>
      client.events.onEvent({
        onData: (e) => {
          if (e.type === "pacs-changed" && (area === undefined || e.area === area)) setChanges((n) => n + 1);
        },
      }),
    [client, area],
  );
  return [changes, () => setChanges((n) => n + 1)];
}
