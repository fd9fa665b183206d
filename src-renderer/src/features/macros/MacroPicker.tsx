/**
 * The macro search box (command report.macros, Ctrl+Shift+M): type to filter the built-in templates and the
 * account's macros by name, ↑/↓ to move, Enter (or a click) inserts the chosen one at the report cursor, Esc closes.
 */
import { useId, useMemo, useRef, useState } from "react";
import type { Macro } from "../../../../src-shared/macro-types";
import { OverlayPanel } from "../../app/OverlayPanel";
import { useCommands } from "../../commands/CommandRegistry";
import { formatChord } from "../../commands/commands";
import { useShortcutHint } from "../../commands/key-bindings";
import { filterMacros } from "./macro-search";
import "./macros.css";

export function MacroPicker(props: {
  macros: readonly Macro[];
  /** Why the account's own macros are missing (signed out, locked), if they are. */
  note: string | null;
  onInsert: (macro: Macro) => void;
  onManage: () => void;
  onClose: () => void;
}) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);
  const hint = useShortcutHint();
  useCommands({ "overlay.close": props.onClose });
  const shown = useMemo(() => filterMacros(props.macros, query), [props.macros, query]);
  const current = shown[Math.min(active, shown.length - 1)];
  return (
    <OverlayPanel title="Insert a macro" closeLabel="Close" className="macro-picker" onClose={props.onClose}>
      <input
        ref={input}
        className="wide-input"
        role="combobox"
        aria-label="Search macros"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={current ? `${listId}-${shown.indexOf(current)}` : undefined}
        placeholder="Macro or template name…"
        value={query}
        // biome-ignore lint/a11y/noAutofocus: the search box is what the command opens.
        autoFocus
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") setActive((a) => Math.min(a + 1, shown.length - 1));
          else if (e.key === "ArrowUp") setActive((a) => Math.max(a - 1, 0));
          else if (e.key === "Enter") {
            if (current) props.onInsert(current);
          } else return;
          e.preventDefault();
        }}
      />
      <div id={listId} role="listbox" aria-label="Macros" className="macro-list">
        {shown.map((m, i) => (
          <div
            key={m.id ?? `builtin:${m.name}`}
            id={`${listId}-${i}`}
            role="option"
            tabIndex={-1}
            aria-selected={m === current}
            className={m === current ? "macro-option active" : "macro-option"}
            onMouseDown={(e) => e.preventDefault()}
            onMouseEnter={() => setActive(i)}
            onClick={() => props.onInsert(m)}
            onKeyDown={() => undefined}
          >
            <span className="macro-name">{m.name}</span>
            {m.builtIn && <span className="chip chip-builtin">template</span>}
            {m.hotkey && <kbd>{formatChord(m.hotkey)}</kbd>}
            <span className="macro-preview">{m.text.replace(/\s+/g, " ")}</span>
          </div>
        ))}
        {shown.length === 0 && <p className="hint">No macro is named like “{query}”.</p>}
      </div>
      {props.note && <p className="hint">{props.note}</p>}
      <footer className="macro-picker-footer">
        <span className="hint">↑↓ choose · Enter inserts at the cursor · Tab then jumps through the slots</span>
        <button
          type="button"
          className="btn"
          onClick={props.onManage}
          title={hint("Manage macros", "report.manageMacros")}
        >
          Manage macros…
        </button>
      </footer>
    </OverlayPanel>
  );
}
