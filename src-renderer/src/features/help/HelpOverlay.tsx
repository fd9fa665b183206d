import { useState } from "react";
import { OverlayPanel } from "../../app/OverlayPanel";
import { useCommands } from "../../commands/CommandRegistry";
import type { CommandGroup } from "../../commands/commands";
import { KeyBindingEditor } from "../../commands/KeyBindingEditor";
import { useEffectiveCommands } from "../../commands/key-bindings";

const GROUPS: CommandGroup[] = ["General", "Worklist", "Viewer", "Report"];

export function HelpOverlay() {
  const [open, setOpen] = useState(false);
  const commands = useEffectiveCommands();
  useCommands({ "help.toggle": () => setOpen((o) => !o) });
  if (!open) return null;
  return <ShortcutsPanel commands={commands} onClose={() => setOpen(false)} />;
}

/** Mounted while open only, so its Escape (overlay.close) is the newest binding, above the panes' own. */
function ShortcutsPanel(props: { commands: ReturnType<typeof useEffectiveCommands>; onClose: () => void }) {
  const { commands, onClose } = props;
  useCommands({ "overlay.close": onClose });
  return (
    <OverlayPanel title="Keyboard shortcuts" closeLabel="Close" onClose={onClose}>
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
    </OverlayPanel>
  );
}
