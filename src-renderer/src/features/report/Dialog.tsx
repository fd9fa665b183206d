/** A small modal dialog in the workstation's style (confirmations, the signer's name). Escape or Cancel closes it. */
import { type ReactNode, useEffect, useRef } from "react";
import { useFocusTrap } from "../../app/useFocusTrap";
import { useCommands } from "../../commands/CommandRegistry";

export function Dialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  confirmKind?: "primary" | "danger" | "sign";
  confirmDisabled?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const confirmRef = useRef<HTMLButtonElement>(null);
  useCommands({
    "overlay.close": props.onCancel,
  });
  const dialogRef = useRef<HTMLDivElement>(null);
  useFocusTrap(dialogRef);
  useEffect(() => {
    // Focus the first field, else the confirm button.
    const panel = confirmRef.current?.closest(".overlay-panel");
    const field = panel?.querySelector<HTMLElement>("input, textarea, select");
    (field ?? confirmRef.current)?.focus();
  }, []);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label={props.title} ref={dialogRef}>
      <form
        className="overlay-panel report-dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (!props.confirmDisabled) props.onConfirm();
        }}
      >
        <header className="overlay-header">
          <h2>{props.title}</h2>
        </header>
        <div className="report-dialog-body">{props.children}</div>
        <footer className="report-dialog-actions">
          <button type="button" className="btn" onClick={props.onCancel}>
            Cancel
          </button>
          <button
            ref={confirmRef}
            type="submit"
            className={`btn btn-${props.confirmKind ?? "primary"}`}
            disabled={props.confirmDisabled}
          >
            {props.confirmLabel}
          </button>
        </footer>
      </form>
    </div>
  );
}

/** A dialog's full-width text field, named by `label` (its placeholder, where given, says more). */
export function DialogInput(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  maxLength: number;
  placeholder?: string;
  secret?: boolean;
}) {
  return (
    <input
      aria-label={props.label}
      className="wide-input"
      type={props.secret ? "password" : undefined}
      autoComplete={props.secret ? "current-password" : undefined}
      placeholder={props.placeholder}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
      maxLength={props.maxLength}
    />
  );
}
