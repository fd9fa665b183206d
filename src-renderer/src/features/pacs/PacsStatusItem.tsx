/**
 * The status bar's department corner: buttons for PACS studies and Settings, and the STOW-RS outbox at a glance
 * (reports waiting or failed to reach the PACS, with the last error in the tooltip).
 */
import { useEffect, useState } from "react";
import type { OutboxEntry } from "../../../../src-shared/pacs-types";
import type { CommandId } from "../../commands/commands";
import { useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { type DepartmentPanel, togglePanel } from "./panels";
import { usePacsChanges } from "./use-pacs-changes";

/** The status bar's panel buttons, each with the command that toggles the same panel by key. */
const PANEL_BUTTONS: readonly {
  panel: Exclude<DepartmentPanel, null>;
  label: string;
  title: string;
  command: CommandId;
}[] = [
  { panel: "pacs-studies", label: "PACS", title: "Search the PACS", command: "pacs.studies" },
  { panel: "settings", label: "Settings", title: "Settings", command: "settings.open" },
];

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
      {PANEL_BUTTONS.map(({ panel, label, title, command }) => (
        <button
          key={panel}
          type="button"
          className="btn-ghost"
          onClick={() => togglePanel(panel)}
          title={hint(title, command)}
        >
          {label}
        </button>
      ))}
    </span>
  );
}
