import { useEffect, useState } from "react";
import { useClient } from "../ipc/ClientContext";
import { type CommandDef, chordOf, formatChord } from "./commands";
import { getOverrides, RESERVED_CHORDS, rebind, resetBinding, setOverrides } from "./key-bindings";
import "./key-bindings.css";

const MODIFIER_KEYS = new Set(["Shift", "Control", "Alt", "Meta", "AltGraph", "CapsLock"]);

/** One command's keys in the help overlay, with "Change" (press the new key) and "Default". */
export function KeyBindingEditor({ command }: { command: CommandDef }) {
  const client = useClient();
  const [capturing, setCapturing] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const overridden = Object.hasOwn(getOverrides(), command.id);

  const save = (next: ReturnType<typeof getOverrides>) => {
    const previous = getOverrides();
    setOverrides(next);
    client.keyBindings.set({ overrides: next }).catch((err: unknown) => {
      setOverrides(previous);
      setMessage(`not saved: ${err instanceof Error ? err.message : String(err)}`);
    });
  };

  useEffect(() => {
    if (!capturing) return;
    // Capture phase on window: runs before the command listener, which must not see this key press.
    const onKey = (e: KeyboardEvent) => {
      if (MODIFIER_KEYS.has(e.key)) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      setCapturing(false);
      if (e.key === "Escape") return;
      const chord = chordOf(e);
      if (RESERVED_CHORDS.includes(chord)) {
        setMessage(`${formatChord(chord)} is reserved`);
        return;
      }
      const { overrides, displaced } = rebind(command.id, chord);
      save(overrides);
      setMessage(
        displaced.length ? `${formatChord(chord)} taken from: ${displaced.map((d) => d.label).join(", ")}` : null,
      );
    };
    window.addEventListener("keydown", onKey, { capture: true });
    return () => window.removeEventListener("keydown", onKey, { capture: true });
  });

  return (
    <span className="key-binding">
      {capturing ? (
        <span className="key-capture" role="status">
          Press a key… (Esc cancels)
        </span>
      ) : command.keys.length === 0 ? (
        <span className="hint">unbound</span>
      ) : (
        command.keys.map((k) => <kbd key={k}>{formatChord(k)}</kbd>)
      )}
      <button
        type="button"
        className="btn-link"
        onClick={() => {
          setMessage(null);
          setCapturing((c) => !c);
        }}
        aria-label={`Change the key for ${command.label}`}
      >
        {capturing ? "Cancel" : "Change"}
      </button>
      {overridden && !capturing && (
        <button
          type="button"
          className="btn-link"
          onClick={() => {
            setMessage(null);
            save(resetBinding(command.id));
          }}
          aria-label={`Restore the default key for ${command.label}`}
        >
          Default
        </button>
      )}
      {message && <span className="key-binding-note">{message}</span>}
    </span>
  );
}
