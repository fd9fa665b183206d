import type { StudyDetail, View } from "../../../../src-shared/domain";

function Viewport({ view, study }: { view: Exclude<View, "unknown">; study: StudyDetail | null }) {
  const image = study?.images.find((i) => i.view === view) ?? null;
  return (
    <section className="viewport" aria-label={`${view} view`} data-view={view}>
      <div className="viewport-label">{view === "frontal" ? "Frontal (PA/AP)" : "Lateral"}</div>
      <div className="viewport-empty">
        {study === null ? "No study open" : image === null ? `No ${view} image in this study` : image.filePath}
      </div>
    </section>
  );
}

export function ViewerArea({ study }: { study: StudyDetail | null }) {
  return (
    <main className="viewer-area" aria-label="Viewer">
      <Viewport view="frontal" study={study} />
      <Viewport view="lateral" study={study} />
    </main>
  );
}
