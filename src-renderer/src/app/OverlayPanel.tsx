/** The frame of a full overlay panel (shortcuts, settings, PACS studies): a modal dialog with a title and a Close button showing the current key. */
import { type ReactNode, useRef } from "react";
import { useShortcutKey } from "../commands/key-bindings";
import { useFocusTrap } from "./useFocusTrap";

export function OverlayPanel(props: {
  title: string;
  /** The dialog's accessible name, where it is not the title. */
  label?: string;
  /** Classes added to `overlay-panel`. */
  className?: string;
  /** The Close button's accessible name. */
  closeLabel: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const closeKey = useShortcutKey("overlay.close");
  const ref = useRef<HTMLDivElement>(null);
  useFocusTrap(ref);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label={props.label ?? props.title} ref={ref}>
      <div className={props.className ? `overlay-panel ${props.className}` : "overlay-panel"}>
        <header className="overlay-header">
          <h2>{props.title}</h2>
          <button type="button" className="btn-ghost" onClick={props.onClose} aria-label={props.closeLabel}>
            {closeKey || "Close"}
          </button>
        </header>
        {props.children}
      </div>
    </div>
  );
}
