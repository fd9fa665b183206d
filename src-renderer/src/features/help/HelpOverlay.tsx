import { useState } from "react";
import { useCommands } from "../../commands/CommandRegistry";
import type { CommandGroup } from "../../commands/commands";
import { KeyBindingEditor } from "../../commands/KeyBindingEditor";
import { useEffectiveCommands, useShortcutKey } from "../../commands/key-bindings";

const GROUPS: CommandGroup[] = ["General", "Worklist", "Viewer", "Report"];

export function HelpOverlay() {
  const [open, setOpen] = useState(false);
  const commands = useEffectiveCommands();
  useCommands({
    "help.toggle": () => setOpen((o) => !o),
    "overlay.close": () => setOpen(false),
  });
  const closeKey = useShortcutKey("overlay.close");
  if (!open) return null;
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts">
      <div className="overlay-panel">
        <header className="overlay-header">
          <h2>Keyboard shortcuts</h2>
          <button type="button" className="btn-ghost" onClick={() => setOpen(false)} aria-label="Close">
            {closeKey || "Close"}
          </button>
        </header>
        {GROUPS.map((group) => {
          const rows = commands.filter((c) => c.group === group);
          if (rows.length === 0) return null;
          return (
            <section key={group}>
              <h3>{group}</h3>
              <table className="shortcut-table">
                <tbody>
                  {rows.map((c) => (
                    <tr key={c.id} data-command={c.id}>
                      <td>{c.label}</td>
                      <td className="keys">
                        <KeyBindingEditor command={c} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          );
        })}
      </div>
    </div>
  );
}
