/**
 * One report section: a native textarea (typing, IME, spell check, selection stay the browser's) over a backdrop
 * that paints the marks behind the text: untouched AI sentences (purple tint and rule) and sentences that also occur
 * in a retrieved similar case (amber underline). The textarea grows with its text; a minimum height is reserved so
 * nothing below jumps while the AI draft arrives.
 *
 * Template slots (src-shared/templates.ts: `[left|right]` pick-lists, `[___]` blanks) are outlined in the backdrop;
 * Tab / Shift+Tab (commands report.nextSlot / report.previousSlot) select the next or previous slot, and while a
 * pick-list is selected a chooser lists its options (↑/↓ and Enter, a digit, or a click; typing replaces the slot
 * with free text; Esc hides the chooser). Past the last slot Tab moves focus on as usual.
 */
import {
  forwardRef,
  type KeyboardEvent,
  type ReactNode,
  useImperativeHandle,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import type { SectionKey } from "../../../../src-shared/report-types";
import { findSlots, nextSlot, previousSlot, type TemplateSlot } from "../../../../src-shared/templates";
import { chordOf, findCommand } from "../../commands/commands";
import { keysOf } from "../../commands/key-bindings";

export interface TextRange {
  start: number;
  end: number;
}

export interface SectionEditorProps {
  section: SectionKey;
  title: string;
  value: string;
  aiRanges: TextRange[];
  matchRanges: Array<TextRange & { caseIds: string[] }>;
  readOnly: boolean;
  placeholder: string;
  /** Lines of height reserved even when empty. */
  minLines: number;
  /** Shown over the empty editor while the AI drafts this section. */
  drafting: ReactNode | null;
  onChange: (value: string) => void;
  onFocus: () => void;
  onBlur: () => void;
  onUndo: () => void;
  onRedo: () => void;
}

export interface SectionEditorHandle {
  focus(): void;
  /** Focus and select [start, end) (e.g. the sentence that names a model finding). */
  select(start: number, end: number): void;
  /** The textarea's selection (kept while it is not focused): where a macro goes in. */
  selection(): TextRange;
}

/** Splits the text at every range boundary and renders each piece with the marks that cover it. */
function paint(
  text: string,
  ai: TextRange[],
  match: Array<TextRange & { caseIds: string[] }>,
  slots: TemplateSlot[],
): ReactNode[] {
  const cuts = new Set<number>([0, text.length]);
  for (const r of [...ai, ...match, ...slots]) {
    cuts.add(Math.max(0, Math.min(text.length, r.start)));
    cuts.add(Math.max(0, Math.min(text.length, r.end)));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: ReactNode[] = [];
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i] ?? 0;
    const end = points[i + 1] ?? 0;
    const piece = text.slice(start, end);
    const isAi = ai.some((r) => r.start <= start && end <= r.end);
    const isMatch = match.some((r) => r.start <= start && end <= r.end);
    const slot = slots.find((r) => r.start <= start && end <= r.end);
    if (!isAi && !isMatch && !slot) {
      out.push(piece);
      continue;
    }
    const cls = [isAi ? "mark-ai" : "", isMatch ? "mark-match" : "", slot ? "mark-slot" : ""].filter(Boolean).join(" ");
    out.push(
      <mark key={start} className={cls} data-slot-start={slot?.start === start ? start : undefined}>
        {piece}
      </mark>,
    );
  }
  // A trailing newline needs a character after it to take up its line in the backdrop.
  out.push("\u200b");
  return out;
}

/** Whether a key press is one of a command's current keys (the user's rebinding included). */
const isKeyOf = (id: "report.nextSlot" | "report.previousSlot", chord: string) => keysOf(id).includes(chord);

export const SectionEditor = forwardRef<SectionEditorHandle, SectionEditorProps>(function SectionEditor(props, ref) {
  const textarea = useRef<HTMLTextAreaElement>(null);
  const backdrop = useRef<HTMLDivElement>(null);
  // The selection, followed so the pick-list chooser opens on a selected pick-list slot.
  const [selection, setSelection] = useState<TextRange & { focused: boolean }>({ start: 0, end: 0, focused: false });
  const [highlight, setHighlight] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  // Where to put the selection once the text a choice wrote has rendered.
  const pendingSelection = useRef<TextRange | null>(null);
  const select = (start: number, end: number) => {
    const el = textarea.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(start, end);
    setSelection({ start, end, focused: true });
  };
  useImperativeHandle(ref, () => ({
    focus: () => textarea.current?.focus(),
    select,
    selection: () => ({
      start: textarea.current?.selectionStart ?? props.value.length,
      end: textarea.current?.selectionEnd ?? props.value.length,
    }),
  }));

  const slots = useMemo(() => findSlots(props.value), [props.value]);
  const chooserSlot =
    selection.focused && !props.readOnly
      ? (slots.find(
          (s) =>
            s.kind === "pick-list" && s.start === selection.start && s.end === selection.end && s.start !== dismissed,
        ) ?? null)
      : null;

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once the chosen option is in the text.
  useLayoutEffect(() => {
    const next = pendingSelection.current;
    if (!next) return;
    pendingSelection.current = null;
    select(next.start, next.end);
  }, [props.value]);

  const followSelection = () => {
    const el = textarea.current;
    if (!el) return;
    const next = { start: el.selectionStart, end: el.selectionEnd, focused: document.activeElement === el };
    if (next.start !== selection.start || next.end !== selection.end) {
      setHighlight(0);
      setDismissed(null);
    }
    setSelection(next);
  };

  const choose = (slot: TemplateSlot, option: string) => {
    const value = `${props.value.slice(0, slot.start)}${option}${props.value.slice(slot.end)}`;
    const at = slot.start + option.length;
    pendingSelection.current = { start: at, end: at };
    props.onChange(value);
  };

  // Grow with the text (never shrink below the reserved minimum, set in CSS).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the height follows the text.
  useLayoutEffect(() => {
    const el = textarea.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight}px`;
  }, [props.value]);

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    const chord = chordOf(e.nativeEvent);
    const el = e.currentTarget;
    // The pick-list chooser's own keys, while it is open.
    if (chooserSlot) {
      const options = chooserSlot.options;
      const digit = /^[1-9]$/.test(chord) ? Number(chord) - 1 : -1;
      let handled = true;
      if (chord === "ArrowDown") setHighlight((h) => (h + 1) % options.length);
      else if (chord === "ArrowUp") setHighlight((h) => (h - 1 + options.length) % options.length);
      else if (chord === "Enter") choose(chooserSlot, options[highlight] ?? options[0] ?? "");
      else if (digit >= 0 && digit < options.length) choose(chooserSlot, options[digit] ?? "");
      else if (chord === "Escape") setDismissed(chooserSlot.start);
      else handled = false;
      if (handled) {
        e.preventDefault();
        e.nativeEvent.stopImmediatePropagation();
        return;
      }
    }
    // Tab / Shift+Tab through the template slots; past the last one the key does what it always does.
    const forward = isKeyOf("report.nextSlot", chord);
    if (forward || isKeyOf("report.previousSlot", chord)) {
      const slot = forward ? nextSlot(props.value, el.selectionEnd) : previousSlot(props.value, el.selectionStart);
      if (slot) {
        e.preventDefault();
        e.nativeEvent.stopImmediatePropagation();
        select(slot.start, slot.end);
        return;
      }
    }
    // The default table: the user's rebinding (commands/key-bindings.ts) applies once this reads effectiveCommands().
    const command = findCommand(chord);
    if (command?.id === "report.undo" || command?.id === "report.redo") {
      // Our own per-section history (the browser's undo does not know about inserted or AI text).
      e.preventDefault();
      e.nativeEvent.stopImmediatePropagation();
      if (command.id === "report.undo") props.onUndo();
      else props.onRedo();
    }
  };

  const id = `report-${props.section}`;
  const aiCount = props.aiRanges.length;
  return (
    <div className={`report-section section-${props.section}`} data-section={props.section}>
      <div className="section-label">
        <label htmlFor={id}>{props.title}</label>
        {aiCount > 0 && (
          <span className="chip chip-ai" title="Sentences the AI wrote that you have not changed (purple)">
            AI · {aiCount}
          </span>
        )}
        {props.matchRanges.length > 0 && (
          <span className="chip chip-match" title="Sentences that also occur in a similar prior case (amber)">
            in priors · {props.matchRanges.length}
          </span>
        )}
      </div>
      <div
        className={aiCount > 0 ? "section-editor has-ai" : "section-editor"}
        style={{ minHeight: `calc(${props.minLines} * var(--editor-line) + 12px)` }}
      >
        <div className="section-backdrop" aria-hidden="true" ref={backdrop}>
          {paint(props.value, props.aiRanges, props.matchRanges, slots)}
        </div>
        <textarea
          id={id}
          ref={textarea}
          className="section-text"
          data-testid={`report-${props.section}`}
          value={props.value}
          readOnly={props.readOnly}
          placeholder={props.drafting ? "" : props.placeholder}
          spellCheck
          rows={props.minLines}
          onChange={(e) => props.onChange(e.target.value)}
          onFocus={() => {
            followSelection();
            props.onFocus();
          }}
          onBlur={(e) => {
            // A click on the chooser keeps it (the click chooses); anywhere else closes it.
            if (!(e.relatedTarget instanceof HTMLElement && e.relatedTarget.closest(".slot-chooser")))
              setSelection((s) => ({ ...s, focused: false }));
            props.onBlur();
          }}
          onSelect={followSelection}
          onKeyDown={onKeyDown}
        />
        {chooserSlot && (
          <SlotChooser
            slot={chooserSlot}
            highlight={highlight}
            anchor={backdrop.current?.querySelector<HTMLElement>(`[data-slot-start="${chooserSlot.start}"]`) ?? null}
            onChoose={(option) => choose(chooserSlot, option)}
          />
        )}
        {props.drafting && props.value === "" && <div className="section-drafting">{props.drafting}</div>}
      </div>
    </div>
  );
});

/** The options of the selected pick-list slot, under it; the textarea keeps the focus (its keys drive the list). */
function SlotChooser(props: {
  slot: TemplateSlot;
  highlight: number;
  anchor: HTMLElement | null;
  onChoose: (option: string) => void;
}) {
  const { slot, anchor } = props;
  const top = anchor ? anchor.offsetTop + anchor.offsetHeight + 2 : 0;
  const left = anchor ? anchor.offsetLeft : 0;
  return (
    <div
      className="slot-chooser"
      role="listbox"
      aria-label={`Choose for ${slot.text}`}
      data-testid="slot-chooser"
      style={{ top, left }}
    >
      {slot.options.map((option, i) => (
        <button
          key={option}
          type="button"
          role="option"
          aria-selected={i === props.highlight}
          tabIndex={-1}
          className={i === props.highlight ? "slot-option active" : "slot-option"}
          // The textarea keeps the focus: the choice is written there.
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => props.onChoose(option)}
        >
          {i < 9 && <kbd>{i + 1}</kbd>} {option}
        </button>
      ))}
      <span className="slot-chooser-hint">↑↓ Enter · type to replace · Esc</span>
    </div>
  );
}
