import { useEffect, useState } from "react";
import { HelpOverlay } from "../features/help/HelpOverlay";
import { PacsStudiesPanel } from "../features/pacs/PacsStudiesPanel";
import { PriorsPane } from "../features/priors/PriorsPane";
import { ReportPane } from "../features/report/ReportPane";
import { SettingsPanel } from "../features/settings/SettingsPanel";
import { SimilarCasesPane } from "../features/similar-cases/SimilarCasesPane";
import { StatusBar } from "../features/status-bar/StatusBar";
import { ViewerArea } from "../features/viewer/ViewerArea";
import { WorklistPane } from "../features/worklist/WorklistPane";
import { useClient } from "../ipc/ClientContext";
import { useAsync } from "./useAsync";

/** The workstation frame: worklist | viewer (frontal + lateral) | report over priors over similar cases; status bar below. */
export function App() {
  const client = useClient();
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const study = useAsync(
    async () => (selectedId ? client.studies.get({ studyId: selectedId }) : null),
    [client, selectedId],
  );
  const detail = study.status === "ok" ? study.value : null;
  const [compareId, setCompareId] = useState<string | null>(null);
  // A different study closes the comparison.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the open study changes.
  useEffect(() => setCompareId(null), [selectedId]);
  return (
    <div className="workstation">
      <WorklistPane selectedId={selectedId} onSelect={setSelectedId} refreshKey={0} />
      <ViewerArea
        study={detail}
        comparison={compareId ? { studyId: compareId, onClose: () => setCompareId(null) } : null}
      />
      <div className="right-column">
        <ReportPane study={detail} />
        <PriorsPane study={detail} onOpenBeside={setCompareId} />
        <SimilarCasesPane study={detail} onOpenBeside={setCompareId} />
      </div>
      <StatusBar />
      <HelpOverlay />
      <SettingsPanel />
      <PacsStudiesPanel onOpenStudy={setSelectedId} />
    </div>
  );
}
