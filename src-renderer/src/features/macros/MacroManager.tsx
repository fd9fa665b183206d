/**
 * Macros (command report.manageMacros): the account's macros listed after the built-in templates; create, edit
 * (name, text with `[a|b]` pick-lists and `[___]` blanks, optional hotkey), delete; export to and import from a JSON
 * file (main validates it and names what is wrong). A built-in template is read-only and can be copied.
 */
import { useState } from "react";
import type { Macro, MacroList } from "../../../../src-shared/macro-types";
import { findSlots } from "../../../../src-shared/templates";
import { OverlayPanel } from "../../app/OverlayPanel";
import { useCommands } from "../../commands/CommandRegistry";
import { chordOf, formatChord } from "../../commands/commands";
import { useClient } from "../../ipc/ClientContext";
import { saveText } from "../report/download";
import { hotkeyProblem } from "./macro-search";
import "./macros.css";

const MODIFIER_KEYS = new Set(["Shift", "Control", "Alt", "Meta", "AltGraph", "CapsLock"]);

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

type Form = { id: number | null; name: string; text: string; hotkey: string | null };
const EMPTY_FORM: Form = { id: null, name: "", text: "", hotkey: null };

export function MacroManager(props: { list: MacroList | null; onChanged: () => void; onClose: () => void }) {
  const client = useClient();
  const [form, setForm] = useState<Form>(EMPTY_FORM);
  const [viewing, setViewing] = useState<Macro | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  useCommands({ "overlay.close": props.onClose });
  const owner = props.list?.owner ?? null;
  const canEdit = owner !== null && owner.kind !== "none";
  const macros = props.list?.macros ?? [];

  const run = async (what: () => Promise<string>) => {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ kind: "ok", text: await what() });
      props.onChanged();
    } catch (err) {
      setMessage({ kind: "error", text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  const edit = (m: Macro) => {
    setConfirmDelete(false);
    setMessage(null);
    if (m.builtIn || m.id === null) {
      setViewing(m);
      setForm(EMPTY_FORM);
    } else {
      setViewing(null);
      setForm({ id: m.id, name: m.name, text: m.text, hotkey: m.hotkey });
    }
  };

  const save = () =>
    run(async () => {
      if (form.hotkey) {
        const problem = hotkeyProblem(form.hotkey);
        if (problem) throw new Error(problem);
      }
      const saved =
        form.id === null
          ? await client.macros.create({ name: form.name, text: form.text, hotkey: form.hotkey })
          : await client.macros.update({ id: form.id, name: form.name, text: form.text, hotkey: form.hotkey });
      setForm({ id: saved.id, name: saved.name, text: saved.text, hotkey: saved.hotkey });
      return `Saved “${saved.name}”.`;
    });

  const slots = findSlots(form.text);
  const ownerLine =
    owner?.kind === "account"
      ? `Macros of ${owner.displayName} (${owner.username})`
      : owner?.kind === "workstation"
        ? "Macros of this workstation (no account exists yet: the first account takes them over)"
        : (owner?.reason ?? "Loading…");

  return (
    <OverlayPanel title="Macros" closeLabel="Close" className="macro-manager" onClose={props.onClose}>
      <p className="hint" data-testid="macro-owner">
        {ownerLine}
      </p>
      <div className="macro-manager-body">
        <ul className="macro-manager-list" aria-label="Your macros">
          {macros.map((m) => (
            <li key={m.id ?? `builtin:${m.name}`}>
              <button
                type="button"
                className={(m.id !== null && m.id === form.id) || m === viewing ? "macro-row active" : "macro-row"}
                onClick={() => edit(m)}
              >
                <span className="macro-name">{m.name}</span>
                {m.builtIn && <span className="chip chip-builtin">template</span>}
                {m.hotkey && <kbd>{formatChord(m.hotkey)}</kbd>}
              </button>
            </li>
          ))}
          <li>
            <button
              type="button"
              className="btn btn-small"
              disabled={!canEdit}
              onClick={() => {
                setViewing(null);
                setForm(EMPTY_FORM);
                setMessage(null);
              }}
            >
              New macro
            </button>
          </li>
        </ul>
        {viewing ? (
          <div className="macro-form">
            <p>
              <strong>{viewing.name}</strong> is a built-in template: every account has it; it cannot be changed.
            </p>
            <pre className="macro-text-view">{viewing.text}</pre>
            <button
              type="button"
              className="btn"
              disabled={!canEdit}
              onClick={() => {
                setForm({ id: null, name: `${viewing.name} (mine)`, text: viewing.text, hotkey: null });
                setViewing(null);
              }}
            >
              Copy as a new macro
            </button>
          </div>
        ) : (
          <form
            className="macro-form"
            aria-label={form.id === null ? "New macro" : `Edit macro ${form.name}`}
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <label>
              Name
              <input
                className="wide-input"
                aria-label="Macro name"
                value={form.name}
                maxLength={80}
                disabled={!canEdit}
                onChange={(e) => setForm({ ...form, name: e.target.value })}
              />
            </label>
            <label>
              Text{" "}
              <span className="hint">
                pick-lists [left|right], blanks [___]; “Findings:” / “Impression:” lines fill those sections
              </span>
              <textarea
                aria-label="Macro text"
                rows={6}
                value={form.text}
                disabled={!canEdit}
                onChange={(e) => setForm({ ...form, text: e.target.value })}
              />
            </label>
            <span className="hint" data-testid="macro-slot-count">
              {slots.length === 0
                ? "No slots."
                : `${slots.filter((s) => s.kind === "pick-list").length} pick-list(s), ${slots.filter((s) => s.kind === "blank").length} blank(s).`}
            </span>
            <label>
              Hotkey (optional)
              <input
                className="wide-input"
                aria-label="Macro hotkey"
                readOnly
                disabled={!canEdit}
                placeholder="Press a chord with Ctrl or Alt, e.g. Alt+Shift+N; Backspace clears"
                value={form.hotkey ? formatChord(form.hotkey) : ""}
                onKeyDown={(e) => {
                  if (MODIFIER_KEYS.has(e.key) || e.key === "Tab" || e.key === "Escape") return;
                  e.preventDefault();
                  // Not a command: the key is being recorded.
                  e.nativeEvent.stopImmediatePropagation();
                  if ((e.key === "Backspace" || e.key === "Delete") && !e.ctrlKey && !e.altKey) {
                    setForm({ ...form, hotkey: null });
                    setMessage(null);
                    return;
                  }
                  const chord = chordOf(e.nativeEvent);
                  const problem = hotkeyProblem(chord);
                  if (problem) setMessage({ kind: "error", text: problem });
                  else {
                    setMessage(null);
                    setForm({ ...form, hotkey: chord });
                  }
                }}
              />
            </label>
            <div className="macro-form-actions">
              <button type="submit" className="btn btn-primary" disabled={!canEdit || busy}>
                {form.id === null ? "Create macro" : "Save macro"}
              </button>
              {form.id !== null &&
                (confirmDelete ? (
                  <button
                    type="button"
                    className="btn btn-danger"
                    disabled={busy}
                    onClick={() =>
                      run(async () => {
                        const name = form.name;
                        await client.macros.delete({ id: form.id as number });
                        setForm(EMPTY_FORM);
                        setConfirmDelete(false);
                        return `Deleted “${name}”.`;
                      })
                    }
                  >
                    Delete “{form.name}” for good
                  </button>
                ) : (
                  <button type="button" className="btn" onClick={() => setConfirmDelete(true)}>
                    Delete
                  </button>
                ))}
            </div>
          </form>
        )}
      </div>
      {message && (
        <p className={`report-message ${message.kind}`} role={message.kind === "error" ? "alert" : "status"}>
          {message.text}
        </p>
      )}
      <footer className="macro-manager-footer">
        <button
          type="button"
          className="btn"
          disabled={!canEdit || busy}
          onClick={() =>
            run(async () => {
              const file = await client.macros.exportJson();
              saveText(file.fileName, file.json, "application/json");
              return `Exported ${file.count === 1 ? "1 macro" : `${file.count} macros`} to ${file.fileName}.`;
            })
          }
        >
          Export JSON
        </button>
        <label className={canEdit ? "btn" : "btn disabled"}>
          Import JSON…
          <input
            type="file"
            accept="application/json,.json"
            aria-label="Import macros from a JSON file"
            className="visually-hidden"
            disabled={!canEdit || busy}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = "";
              if (!file) return;
              void run(async () => {
                try {
                  const result = await client.macros.importJson({ json: await file.text() });
                  return `Imported ${file.name}: ${result.added} added, ${result.updated} replaced.`;
                } catch (err) {
                  throw new Error(`${file.name} not imported: ${errorText(err)}`);
                }
              });
            }}
          />
        </label>
      </footer>
    </OverlayPanel>
  );
}
