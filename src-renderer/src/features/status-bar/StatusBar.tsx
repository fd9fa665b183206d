import { useEffect, useState } from "react";
import type { AppEvent } from "../../../../src-shared/domain";
import { useAsync } from "../../app/useAsync";
import { useClient } from "../../ipc/ClientContext";

/** What main reports: version, transport, database, model and execution provider, live job progress. */
export function StatusBar() {
  const client = useClient();
  const info = useAsync(() => client.app.info(), [client]);
  const [progress, setProgress] = useState<Extract<AppEvent, { type: "job-progress" }> | null>(null);
  useEffect(
    () =>
      client.events.onEvent({
        onData: (e) => {
          if (e.type === "job-progress") setProgress(e.done >= e.total ? null : e);
        },
      }),
    [client],
  );
  if (info.status === "loading") return <footer className="status-bar">Connecting…</footer>;
  if (info.status === "error")
    return (
      <footer className="status-bar status-error" role="alert">
        Not connected to the workstation service: {info.error}
      </footer>
    );
  const i = info.value;
  return (
    <footer className="status-bar" data-testid="status-bar">
      <span>
        {i.name} {i.version}
      </span>
      <span title="How this window talks to the service">{i.transport}</span>
      <span title={i.databasePath} className="path">
        DB {i.databasePath}
      </span>
      <span data-testid="status-model">
        {i.model ? `Model ${i.model.name} ${i.model.version} · ${i.model.executionProvider}` : "No model pack loaded"}
      </span>
      {progress && (
        <span className="progress">
          {progress.label} {progress.done}/{progress.total}
        </span>
      )}
      <span className="spacer" />
      <span className="hint">? shortcuts</span>
    </footer>
  );
}
