/**
 * Settings → PACS connections: add, test, edit and remove DICOMweb endpoints (base URL; no authentication, HTTP
 * Basic or a bearer token; an optional CA certificate in PEM). Secrets go to main and are never shown again: the
 * list says only whether one is stored, and how this machine keeps it. One connection can be the default that signed
 * reports of local studies go to (a retrieved study's report always goes back to the PACS it came from).
 */
import { useState } from "react";
import type {
  PacsAuthInput,
  PacsConnection,
  PacsConnectionInput,
  PacsTestResult,
} from "../../../../src-shared/pacs-types";
import { OverlayPanel } from "../../app/OverlayPanel";
import { useAsync } from "../../app/useAsync";
import { useCommands } from "../../commands/CommandRegistry";
import { useClient } from "../../ipc/ClientContext";
import { formatSeconds, useAccount } from "../accounts/AccountGate";
import { errorText, openPanel, togglePanel, useOpenPanel } from "../pacs/panels";
import "../pacs/pacs.css";
import { usePacsChanges } from "../pacs/use-pacs-changes";

type AuthKind = PacsAuthInput["kind"];

interface Form {
  editing: string | null;
  name: string;
  baseUrl: string;
  kind: AuthKind;
  username: string;
  secret: string;
  ca: string;
  storePdf: boolean;
}

const EMPTY: Form = {
  editing: null,
  name: "",
  baseUrl: "",
  kind: "basic",
  username: "",
  secret: "",
  ca: "",
  storePdf: false,
};

function toInput(f: Form): PacsConnectionInput {
  const auth: PacsAuthInput =
    f.kind === "basic"
      ? { kind: "basic", username: f.username, ...(f.secret ? { password: f.secret } : {}) }
      : f.kind === "bearer"
        ? { kind: "bearer", ...(f.secret ? { token: f.secret } : {}) }
        : { kind: "none" };
  return {
    name: f.name,
    baseUrl: f.baseUrl,
    auth,
    storePdf: f.storePdf,
    // Editing: an empty field keeps the stored certificate (undefined); a new connection has none (null).
    ...(f.ca.trim() ? { caCertificate: f.ca } : f.editing ? {} : { caCertificate: null }),
  };
}

export function SettingsPanel() {
  const open = useOpenPanel() === "settings";
  useCommands({
    "settings.open": () => togglePanel("settings"),
  });
  if (!open) return null;
  return <SettingsDialog />;
}

function SettingsDialog() {
  // Registered while the dialog is open only: the newest overlay.close binding wins.
  useCommands({
    "overlay.close": () => openPanel(null),
  });
  const client = useClient();
  const [changes, reload] = usePacsChanges("connections");
  const list = useAsync(() => client.pacs.connections(), [client, changes]);
  const [form, setForm] = useState<Form>(EMPTY);
  const [formResult, setFormResult] = useState<{ ok: boolean; message: string } | null>(null);
  const [rowResults, setRowResults] = useState<Record<string, PacsTestResult | { ok: false; message: string }>>({});
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<Form>) => setForm((f) => ({ ...f, ...patch }));
  const act = async (fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
    } finally {
      setBusy(false);
    }
  };
  const testForm = () =>
    act(async () => {
      try {
        const r =
          form.editing && !form.secret
            ? await client.pacs.testConnection({ connectionId: form.editing })
            : await client.pacs.testConnection({ connection: toInput(form) });
        setFormResult(r);
      } catch (err) {
        setFormResult({ ok: false, message: errorText(err) });
      }
    });
  const save = () =>
    act(async () => {
      try {
        if (form.editing) await client.pacs.updateConnection({ connectionId: form.editing, connection: toInput(form) });
        else await client.pacs.addConnection(toInput(form));
        setForm(EMPTY);
        setFormResult(null);
        reload();
      } catch (err) {
        setFormResult({ ok: false, message: errorText(err) });
      }
    });
  const testRow = (c: PacsConnection) =>
    act(async () => {
      const r = await client.pacs
        .testConnection({ connectionId: c.id })
        .catch((err: unknown) => ({ ok: false as const, message: errorText(err) }));
      setRowResults((m) => ({ ...m, [c.id]: r }));
    });
  const remove = (c: PacsConnection) =>
    act(async () => {
      try {
        await client.pacs.removeConnection({ connectionId: c.id });
        reload();
      } catch (err) {
        setRowResults((m) => ({ ...m, [c.id]: { ok: false, message: errorText(err) } }));
      }
    });
  const edit = (c: PacsConnection) => {
    setForm({
      editing: c.id,
      name: c.name,
      baseUrl: c.baseUrl,
      kind: c.auth.kind,
      username: c.auth.username ?? "",
      secret: "",
      ca: "",
      storePdf: c.storePdf,
    });
    setFormResult(null);
  };
  const setDefault = (connectionId: string | null) =>
    act(async () => {
      try {
        await client.pacs.setDefaultConnection({ connectionId });
        reload();
      } catch (err) {
        setFormResult({ ok: false, message: errorText(err) });
      }
    });
  const connections = list.status === "ok" ? list.value.connections : [];
  const defaultId = list.status === "ok" ? list.value.defaultConnectionId : null;
  const canSave =
    form.name.trim() !== "" && form.baseUrl.trim() !== "" && (form.kind !== "basic" || form.username !== "");

  return (
    <OverlayPanel
      label="Settings"
      title="Settings · idle lock, PACS connections (DICOMweb)"
      closeLabel="Close settings"
      onClose={() => openPanel(null)}
      className="dept-panel"
    >
      <IdleLockSetting />
      {list.status === "error" && <p className="error-text">Could not load the connections: {list.error}</p>}
      {list.status === "ok" && (
        <p className="hint" data-testid="secret-protection">
          Passwords and tokens: {list.value.secretProtection}.
        </p>
      )}
      <ul className="pacs-connections" aria-label="PACS connections">
        {connections.length === 0 && list.status === "ok" && <li className="hint">No PACS connection yet.</li>}
        {connections.map((c) => {
          const r = rowResults[c.id];
          return (
            <li key={c.id} data-connection-id={c.id}>
              <div className="pacs-connection-head">
                <strong>{c.name}</strong>
                <span className="meta">
                  {c.baseUrl} ·{" "}
                  {c.auth.kind === "none"
                    ? "no authentication"
                    : c.auth.kind === "basic"
                      ? `Basic (${c.auth.username})`
                      : "bearer token"}
                  {c.auth.kind !== "none" && !c.auth.hasSecret ? " · secret missing" : ""}
                  {c.hasCaCertificate ? " · custom CA" : ""}
                  {c.storePdf ? " · SR + PDF" : ""}
                </span>
              </div>
              <div className="pacs-connection-actions">
                <label className="pacs-default" title="Signed reports of local studies go to this PACS">
                  <input
                    type="checkbox"
                    checked={defaultId === c.id}
                    disabled={busy}
                    onChange={(e) => void setDefault(e.target.checked ? c.id : null)}
                  />
                  Default for local studies
                </label>
                <button type="button" className="btn" disabled={busy} onClick={() => void testRow(c)}>
                  Test connection
                </button>
                <button type="button" className="btn" disabled={busy} onClick={() => edit(c)}>
                  Edit
                </button>
                <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void remove(c)}>
                  Remove
                </button>
              </div>
              {r && (
                <p role="status" className={r.ok ? "ok-text" : "error-text"}>
                  {r.ok ? "✓ " : "✗ "}
                  {r.message}
                </p>
              )}
            </li>
          );
        })}
      </ul>
      <form
        className="pacs-form"
        aria-label={form.editing ? "Edit PACS connection" : "Add a PACS connection"}
        onSubmit={(e) => {
          e.preventDefault();
          if (canSave && !busy) void save();
        }}
      >
        <h3>{form.editing ? `Edit ${form.name}` : "Add a PACS connection"}</h3>
        <label>
          Name
          <input value={form.name} onChange={(e) => set({ name: e.target.value })} placeholder="Department PACS" />
        </label>
        <label>
          DICOMweb base URL
          <input
            value={form.baseUrl}
            onChange={(e) => set({ baseUrl: e.target.value })}
            placeholder="https://pacs.example.org/dicom-web"
            spellCheck={false}
          />
        </label>
        <label>
          Authentication
          <select value={form.kind} onChange={(e) => set({ kind: e.target.value as AuthKind, secret: "" })}>
            <option value="none">None</option>
            <option value="basic">HTTP Basic</option>
            <option value="bearer">Bearer token</option>
          </select>
        </label>
        {form.kind === "basic" && (
          <label>
            User name
            <input value={form.username} onChange={(e) => set({ username: e.target.value })} autoComplete="off" />
          </label>
        )}
        {form.kind !== "none" && (
          <label>
            {form.kind === "basic" ? "Password" : "Token"}
            <input
              type="password"
              value={form.secret}
              onChange={(e) => set({ secret: e.target.value })}
              autoComplete="new-password"
              placeholder={form.editing ? "(unchanged)" : ""}
            />
          </label>
        )}
        <label>
          CA certificate (PEM, optional{form.editing ? "; empty keeps the stored one" : ""})
          <textarea
            rows={2}
            value={form.ca}
            onChange={(e) => set({ ca: e.target.value })}
            spellCheck={false}
            placeholder="-----BEGIN CERTIFICATE-----"
          />
        </label>
        <label className="pacs-store-pdf">
          <input type="checkbox" checked={form.storePdf} onChange={(e) => set({ storePdf: e.target.checked })} />
          Also store signed reports as PDF (Encapsulated PDF), where this PACS accepts it
        </label>
        <div className="pacs-form-actions">
          <button
            type="button"
            className="btn"
            disabled={busy || form.baseUrl.trim() === ""}
            onClick={() => void testForm()}
          >
            Test connection
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !canSave}>
            {form.editing ? "Save changes" : "Add connection"}
          </button>
          {form.editing && (
            <button type="button" className="btn" onClick={() => setForm(EMPTY)}>
              Cancel edit
            </button>
          )}
        </div>
        {formResult && (
          <p role="status" data-testid="pacs-form-result" className={formResult.ok ? "ok-text" : "error-text"}>
            {formResult.ok ? "✓ " : "✗ "}
            {formResult.message}
          </p>
        )}
      </form>
    </OverlayPanel>
  );
}

/** The idle time after which the session locks (accounts service: 30 s to 24 h), in seconds. */
function IdleLockSetting() {
  const { session, setIdleLockSeconds } = useAccount();
  const [value, setValue] = useState(String(session.idleLockSeconds));
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const apply = async () => {
    try {
      const seconds = Number(value);
      if (!Number.isInteger(seconds)) throw new Error("the idle lock is a whole number of seconds");
      await setIdleLockSeconds(seconds);
      setResult({ ok: true, message: `Locks after ${formatSeconds(seconds)} without input.` });
    } catch (err) {
      setResult({ ok: false, message: errorText(err) });
    }
  };
  return (
    <form
      className="idle-lock-setting"
      onSubmit={(e) => {
        e.preventDefault();
        void apply();
      }}
    >
      <label>
        Lock after{" "}
        <input
          type="number"
          min={30}
          max={86400}
          step={1}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-label="Idle lock (seconds)"
        />{" "}
        seconds without input
      </label>
      <button type="submit" className="btn">
        Apply
      </button>
      {result && (
        <span className={result.ok ? "hint" : "error-text"} role="status">
          {result.message}
        </span>
      )}
    </form>
  );
}
