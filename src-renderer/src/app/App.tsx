import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { useCommands } from "../commands/CommandRegistry";
import { HelpOverlay } from "../features/help/HelpOverlay";
import { PacsStudiesPanel } from "../features/pacs/PacsStudiesPanel";
import { PriorsPane } from "../features/priors/PriorsPane";
import { ReportPane } from "../features/report/ReportPane";
import { SettingsPanel } from "../features/settings/SettingsPanel";
import { SimilarCasesPane } from "../features/similar-cases/SimilarCasesPane";
import { StatusBar } from "../features/status-bar/StatusBar";
import type { ComparisonReport } from "../features/viewer/ComparisonReportText";
import type { ComparisonCase, ViewerLayout } from "../features/viewer/ViewerArea";
import { WorklistPane } from "../features/worklist/WorklistPane";
import { useClient } from "../ipc/ClientContext";
import { useAsync } from "./useAsync";

/**
 * The viewer (cornerstone, the DICOM codecs) is its own chunk, fetched once the first worklist has been drawn (or a
 * study is opened before that): compiling it no longer delays the worklist (issue 19.4, docs/viewer.md).
 */
const viewerPlaceholder = <main className="viewer-area" aria-label="Viewer" aria-busy="true" />;
const ViewerArea = lazy(() => import("../features/viewer/ViewerArea").then((m) => ({ default: m.ViewerArea })));

/**
 * The workstation frame: worklist | viewer | report over priors over similar cases; status bar below. The worklist
 * and the side panes collapse (commands `layout.toggleWorklist` / `layout.toggleSidePanes`); a maximised viewport
 * (`viewer.maximise`, double click) has the window to itself but for the viewer's toolbar and the status bar.
 */
export function App() {
  const client = useClient();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const study = useAsync(
    async () => (selectedId ? client.studies.get({ studyId: selectedId }) : null),
    [client, selectedId],
  );
  const detail = study.status === "ok" ? study.value : null;
  const [compare, setCompare] = useState<ComparisonCase | null>(null);
  const [layout, setLayout] = useState<ViewerLayout>("1x2");
  const [maximised, setMaximised] = useState(false);
  const [worklistCollapsed, setWorklistCollapsed] = useState(false);
  const [sideCollapsed, setSideCollapsed] = useState(false);
  const [protocolRun, setProtocolRun] = useState(0);
  const [viewerWanted, setViewerWanted] = useState(false);
  // After the worklist's first paint: a task of its own, so the rows are on screen before the chunk compiles.
  const loadViewer = useCallback(() => {
    setTimeout(() => setViewerWanted(true), 0);
  }, []);
  // A different study closes the comparison.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the open study changes.
  useEffect(() => setCompare(null), [selectedId]);
  const toLayout = (next: ViewerLayout) => () => {
    setLayout(next);
    setMaximised(false);
  };
  useCommands({
    "viewer.layout.1x1": toLayout("1x1"),
    "viewer.layout.1x2": toLayout("1x2"),
    "viewer.layout.2x2": toLayout("2x2"),
    "viewer.maximise": () => setMaximised((m) => !m),
    "layout.toggleWorklist": () => setWorklistCollapsed((c) => !c),
    "layout.toggleSidePanes": () => setSideCollapsed((c) => !c),
    "viewer.closeComparison": () => setCompare(null),
  });
  /** A comparison needs a second viewport: a 1-up or maximised viewer goes to 2-up to show it. */
  const showComparison = () => {
    if (layout === "1x1" || maximised) toLayout("1x2")();
  };
  const openPrior = (prior: { studyId: string; report: ComparisonReport | null }, hang: boolean) => {
    setCompare({ studyId: prior.studyId, kind: "prior", report: prior.report });
    // The hanging protocol: current frontal beside the prior frontal, whatever the layout was.
    if (!hang) return showComparison();
    toLayout("1x2")();
    setProtocolRun((n) => n + 1);
  };
  const frame = [
    "workstation",
    worklistCollapsed || maximised ? "worklist-collapsed" : "",
    sideCollapsed || maximised ? "side-collapsed" : "",
  ]
    .filter(Boolean)
    .join(" ");
  return (
    <div className={frame} data-layout={layout} data-maximised={maximised ? "true" : "false"}>
      <WorklistPane selectedId={selectedId} onSelect={setSelectedId} refreshKey={0} onFirstList={loadViewer} />
      {viewerWanted || selectedId ? (
        <Suspense fallback={viewerPlaceholder}>
          <ViewerArea
            study={detail}
            comparison={compare}
            layout={layout}
            maximised={maximised}
            onToggleMaximise={() => setMaximised((m) => !m)}
            protocolRun={protocolRun}
          />
        </Suspense>
      ) : (
        viewerPlaceholder
      )}
      <div className="right-column">
        <ReportPane study={detail} />
        <PriorsPane study={detail} onOpenBeside={openPrior} />
        <SimilarCasesPane
          study={detail}
          onOpenBeside={(studyId, thumbnailUrl) => {
            setCompare({ studyId, kind: "similar", thumbnailUrl });
            showComparison();
          }}
        />
      </div>
      <StatusBar />
      <HelpOverlay />
      <SettingsPanel />
      <PacsStudiesPanel onOpenStudy={setSelectedId} />
    </div>
  );
}
