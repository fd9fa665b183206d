import type { StudyDetail } from "../../../../src-shared/domain";

const SECTIONS = ["Indication", "Comparison", "Findings", "Impression"] as const;

export function ReportPane({ study }: { study: StudyDetail | null }) {
  return (
    <section className="pane report-pane" aria-label="Report">
      <header className="pane-header">
        <h2>Report</h2>
        <span className="badge">{study ? study.status : "—"}</span>
      </header>
      {study === null ? (
        <div className="empty-state" data-testid="report-empty">
          <p>Open a study to see its AI-drafted report.</p>
        </div>
      ) : (
        <div className="report-sections">
          {SECTIONS.map((s) => (
            <div className="report-section" key={s}>
              <h3>{s}</h3>
              <p className="placeholder">No text yet.</p>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
