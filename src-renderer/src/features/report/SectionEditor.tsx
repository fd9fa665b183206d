/**
 * One report section: a native textarea (typing, IME, spell check, selection stay the browser's) over a backdrop
 * that paints the marks behind the text: untouched AI sentences (purple tint and rule) and sentences that also occur
 * in a retrieved similar case (amber underline). The textarea grows with its text; a minimum height is reserved so
 * nothing below jumps while the AI draft arrives.
 */
import { forwardRef, type KeyboardEvent, type ReactNode, useImperativeHandle, useLayoutEffect, useRef } from "react";
import type { SectionKey } from "../../../../src-shared/report-types";
import { chordOf, findCommand } from "../../commands/commands";

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
}

/** Splits the text at every range boundary and renders each piece with the marks that cover it. */
function paint(text: string, ai: TextRange[], match: Array<TextRange & { caseIds: string[] }>): ReactNode[] {
  const cuts = new Set<number>([0, text.length]);
  for (const r of [...ai, ...match]) {
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
    if (!isAi && !isMatch) {
      out.push(piece);
      continue;
    }
    const cls = [isAi ? "mark-ai" : "", isMatch ? "mark-match" : ""].filter(Boolean).join(" ");
    out.push(
      <mark key={start} className={cls}>
        {piece}
      </mark>,
    );
  }
  // A trailing newline needs a character after it to take up its line in the backdrop.
  out.push("\u200b");
  return out;
}

export const SectionEditor = forwardRef<SectionEditorHandle, SectionEditorProps>(function SectionEditor(props, ref) {
  const textarea = useRef<HTMLTextAreaElement>(null);
  useImperativeHandle(
    ref,
    () => ({
      focus: () => textarea.current?.focus(),
      select: (start: number, end: number) => {
        textarea.current?.focus();
        textarea.current?.setSelectionRange(start, end);
      },
    }),
    [],
  );

  // Grow with the text (never shrink below the reserved minimum, set in CSS).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the height follows the text.
  useLayoutEffect(() => {
    const el = textarea.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${el.scrollHeight}px`;
  }, [props.value]);

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // The default table: the user's rebinding (commands/key-bindings.ts) applies once this reads effectiveCommands().
    const command = findCommand(chordOf(e.nativeEvent));
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
        <div className="section-backdrop" aria-hidden="true">
          {paint(props.value, props.aiRanges, props.matchRanges)}
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
          onFocus={props.onFocus}
          onBlur={props.onBlur}
          onKeyDown={onKeyDown}
        />
        {props.drafting && props.value === "" && <div className="section-drafting">{props.drafting}</div>}
      </div>
    </div>
  );
});
