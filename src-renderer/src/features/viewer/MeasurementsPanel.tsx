/**
 * The open study's measurements (issue 17.2), oldest first: what each measured (the overlay's summary), the
 * calibration it was made with, its image, an editable label, and Insert (the sentence into the report at the
 * cursor) and Delete. A row selects its measurement (drawn in its own colour; Delete and Alt+M act on it).
 * Signed measurements are listed locked.
 */
import { type ReactNode, useState } from "react";
import { type Measurement, measurementSummary } from "../../../../src-shared/measurements";
import type { CommandId } from "../../commands/commands";

export interface MeasurementsPanelProps {
  measurements: readonly Measurement[];
  selectedId: number | null;
  fileNameOf: (imageId: string) => string;
  notice: { kind: "ok" | "error"; text: string } | null;
  onSelect: (id: number) => void;
  onDelete: (id: number) => void;
  onInsert: (id: number) => void;
  onLabel: (id: number, label: string) => void;
  hint: (label: string, command: CommandId) => string;
}

function calibrationShort(m: Measurement): string {
  const c = m.calibration;
  if (c.source === "none") return "uncalibrated";
  const spacing = `${c.rowSpacingMm} × ${c.columnSpacingMm} mm`;
  return c.source === "PixelSpacing" ? `Pixel Spacing ${spacing}` : `Imager Pixel Spacing ${spacing}`;
}

export function MeasurementsPanel(props: MeasurementsPanelProps) {
  const { measurements, selectedId, fileNameOf, notice, onSelect, onDelete, onInsert, onLabel, hint } = props;
  return (
    <section className="measurements-panel" aria-label="Measurements" data-count={measurements.length}>
      <header>
        <strong>Measurements ({measurements.length})</strong>
        {notice && (
          <span className={`measurements-notice ${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"}>
            {notice.text}
          </span>
        )}
      </header>
      {measurements.length === 0 ? (
        <p className="muted">
          None yet: {hint("length", "viewer.tool.length")}, {hint("angle", "viewer.tool.angle")},{" "}
          {hint("ROI", "viewer.tool.ellipse")}, {hint("CTR", "viewer.tool.ctr")}, {hint("probe", "viewer.tool.probe")}.
        </p>
      ) : (
        <ul>
          {measurements.map((m) => (
            <MeasurementRow
              key={m.id}
              m={m}
              selected={m.id === selectedId}
              fileName={fileNameOf(m.imageId)}
              onSelect={() => onSelect(m.id)}
              onDelete={() => onDelete(m.id)}
              onInsert={() => onInsert(m.id)}
              onLabel={(label) => onLabel(m.id, label)}
              hint={hint}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

function MeasurementRow({
  m,
  selected,
  fileName,
  onSelect,
  onDelete,
  onInsert,
  onLabel,
  hint,
}: {
  m: Measurement;
  selected: boolean;
  fileName: string;
  onSelect: () => void;
  onDelete: () => void;
  onInsert: () => void;
  onLabel: (label: string) => void;
  hint: MeasurementsPanelProps["hint"];
}) {
  const [label, setLabel] = useState(m.label);
  const locked = m.signedReportId !== null;
  const commit = () => {
    if (label.trim() !== m.label) onLabel(label.trim());
  };
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: the row's buttons and the list's keys (Delete, Alt+M) act on it.
    <li
      className={`measurement-row${selected ? " selected" : ""}`}
      data-measurement-id={m.id}
      data-kind={m.kind}
      aria-current={selected ? "true" : undefined}
      onClick={onSelect}
    >
      <span className="measurement-summary" data-testid="measurement-summary">
        {measurementSummary(m)}
      </span>
      <span className="muted measurement-cal" title={fileName}>
        {calibrationShort(m)} · {fileName}
        {locked ? " · signed" : ""}
      </span>
      <input
        className="measurement-label"
        aria-label={`Label of measurement ${m.id}`}
        placeholder="label"
        value={label}
        maxLength={200}
        disabled={locked}
        onChange={(e) => setLabel(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            commit();
          }
        }}
      />
      <RowTool title={hint("Insert into the report at the cursor", "viewer.measurement.insert")} onPress={onInsert}>
        Insert
      </RowTool>
      <RowTool title={hint("Delete", "viewer.measurement.delete")} disabled={locked} onPress={onDelete}>
        Delete
      </RowTool>
    </li>
  );
}

/** A row's button: it takes no focus (the report's cursor stays where it was) and does not select the row. */
function RowTool(props: { title: string; disabled?: boolean; onPress: () => void; children: ReactNode }) {
  return (
    <button
      type="button"
      className="tool"
      title={props.title}
      disabled={props.disabled}
      onMouseDown={(e) => e.preventDefault()}
      onClick={(e) => {
        e.stopPropagation();
        props.onPress();
      }}
    >
      {props.children}
    </button>
  );
}
