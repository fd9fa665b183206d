import type { StudyDetail } from "../../../../src-shared/domain";

export function SimilarCasesPane({ study }: { study: StudyDetail | null }) {
  return (
    <section className="pane similar-pane" aria-label="Similar cases">
      <header className="pane-header">
        <h2>Similar prior cases</h2>
      </header>
      <div className="empty-state" data-testid="similar-empty">
        <p>
          {study === null
            ? "Open a study to retrieve the most similar prior cases."
            : "No similar cases retrieved yet."}
        </p>
      </div>
    </section>
  );
}
