import { useEffect, useState } from "react";
import type { AppEvent } from "../../../../src-shared/domain";
import type { InferenceStatus } from "../../../../src-shared/inference-types";
import { useAsync } from "../../app/useAsync";
import { useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { useAccount } from "../accounts/AccountGate";
import { PacsStatusItem } from "../pacs/PacsStatusItem";

/** What main reports: version, transport, database, model and execution provider, live job progress. */
export function StatusBar() {
  const client = useClient();
  const info = useAsync(() => client.app.info(), [client]);
  const model = useModelStatus();
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
      <span
        data-testid="status-model"
        data-state={model?.state ?? "loading"}
        title={model?.state === "unavailable" ? model.reason : model?.state === "ready" ? model.packDir : ""}
        className={model?.state === "unavailable" ? "status-warning" : undefined}
      >
        {model?.state === "ready"
          ? `Model ${model.name} ${model.version} · ${model.executionProvider}`
          : model?.state === "unavailable"
            ? `No model pack: ${model.reason}`
            : i.model
              ? `Model ${i.model.name} ${i.model.version} · ${i.model.executionProvider}`
              : "Loading the model pack…"}
      </span>
      {progress && (
        <span className="progress">
          {progress.label} {progress.done}/{progress.total}
        </span>
      )}
      <span className="spacer" />
      <AccountStatusItem />
      <PacsStatusItem />
      <span className="hint">? shortcuts</span>
    </footer>
  );
}

/** Who is signed in, with Lock (the session.lock command) and Sign out. */
function AccountStatusItem() {
  const { account, lock, signOut } = useAccount();
  const hint = useShortcutHint();
  return (
    <span className="status-account" data-testid="status-account" title={`Signed in as ${account.username}`}>
      {account.displayName}
      <button type="button" className="btn-ghost" onClick={() => void lock()} title={hint("Lock now", "session.lock")}>
        Lock
      </button>
      <button type="button" className="btn-ghost" onClick={() => void signOut()}>
        Sign out
      </button>
    </span>
  );
}

/** The drafting engine's model pack, polled while it loads (it loads in the background after start). */
function useModelStatus(): InferenceStatus | null {
  const client = useClient();
  const [status, setStatus] = useState<InferenceStatus | null>(null);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      client.inference.status().then(
        (s) => {
          if (!live) return;
          setStatus(s);
          if (s.state === "loading") timer = setTimeout(poll, 1000);
        },
        () => {
          if (live) timer = setTimeout(poll, 3000);
        },
      );
    };
    poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client]);
  return status;
}
