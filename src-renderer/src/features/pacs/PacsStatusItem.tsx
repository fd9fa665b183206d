/**
 * The status bar's department corner: buttons for PACS studies and Settings, and the STOW-RS outbox at a glance
 * (reports waiting or failed to reach the PACS, with the last error in the tooltip).
 */
import { useEffect, useState } from "react";
import type { OutboxEntry } from "../../../../src-shared/pacs-types";
import { useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { togglePanel } from "./panels";
import { usePacsChanges } from "./use-pacs-changes";

export function PacsStatusItem() {
  const client = useClient();
  const hint = useShortcutHint();
  const [outbox, setOutbox] = useState<OutboxEntry[]>([]);
  const [changes] = usePacsChanges("outbox");
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload on outbox changes.
  useEffect(() => {
    let live = true;
    client.pacs.outbox({}).then(
      (entries) => live && setOutbox(entries),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, changes]);
  const waiting = outbox.filter((e) => e.state === "pending" || e.state === "sending");
  const failed = outbox.filter((e) => e.state === "failed");
  const lastError = [...failed, ...waiting].find((e) => e.lastError)?.lastError ?? "";
  return (
    <span className="pacs-status">
      {(waiting.length > 0 || failed.length > 0) && (
        <span className={failed.length ? "status-warning" : undefined} title={lastError} data-testid="pacs-outbox">
          PACS outbox: {waiting.length} waiting{failed.length ? `, ${failed.length} failed` : ""}
        </span>
      )}
      <button
        type="button"
        className="btn-ghost"
        onClick={() => togglePanel("pacs-studies")}
        title={hint("Search the PACS", "pacs.studies")}
      >
        PACS
      </button>
      <button
        type="button"
        className="btn-ghost"
        onClick={() => togglePanel("settings")}
        title={hint("Settings", "settings.open")}
      >
        Settings
      </button>
    </span>
  );
}
