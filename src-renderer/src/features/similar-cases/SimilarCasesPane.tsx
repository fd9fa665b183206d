/**
 * Similar prior cases: the top-k retrieved cases of the open study with similarity, thumbnail, positive findings
 * and report. Sentences that also occur in the draft are highlighted; any sentence can be inserted into the draft
 * (Findings by default); "Open beside" asks the viewer to show the case's images next to the current study. The button
 * runs the command `similar.openBeside` for its card; the command's key opens the selected case (the card that holds,
 * or last held, the focus), else the most similar one.
 */
import { type ReactNode, useEffect, useMemo, useRef, useState } from "react";
import type { StudyDetail } from "../../../../src-shared/domain";
import { normalisedSentenceSet, normaliseSentence, splitSentences } from "../../../../src-shared/report-text";
import { OBSERVATIONS, SECTION_TITLES, type SectionKey, type SimilarCase } from "../../../../src-shared/report-types";
import { Options } from "../../app/Options";
import { useCommands, useRunCommand } from "../../commands/CommandRegistry";
import { useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { fileChannelUrl, imageRequestHeaders } from "../../ipc/transport";
import { useReportSession } from "../report/report-session";
import "./similar-cases.css";

const SKELETON_ROWS = 5;
/** Where the picked sentences can go, in the order the select lists them. */
const INSERT_TARGETS: readonly SectionKey[] = ["findings", "impression", "comparison", "indication"];

function Findings({ labels }: { labels: SimilarCase["labels"] }) {
  const chips = labels.map((v, i) => ({ v, name: OBSERVATIONS[i] ?? "" })).filter((x) => x.v === 1 || x.v === -1);
  if (chips.length === 0) return <span className="case-findings muted">no positive findings labelled</span>;
  return (
    <span className="case-findings">
      {chips.map((c) => (
        <span
          key={c.name}
          className={`finding-chip ${c.name === "No Finding" ? "normal" : c.v === 1 ? "positive" : "uncertain"}`}
          title={c.v === 1 ? `${c.name}: positive` : `${c.name}: uncertain`}
        >
          {c.name}
          {c.v === -1 ? "?" : ""}
        </span>
      ))}
    </span>
  );
}

/**
 * The thumbnail's bytes from the file channel (the harness needs the token header, which an <img> cannot send) as
 * an object URL; null while loading, without a thumbnail, or when it cannot be fetched.
 */
function useThumbnail(thumbnailUrl: string | undefined): string | null {
  const [objectUrl, setObjectUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!thumbnailUrl) return;
    let made: string | null = null;
    let live = true;
    fetch(fileChannelUrl(thumbnailUrl), { headers: imageRequestHeaders(), cache: "no-store" })
      .then((res) => (res.ok ? res.blob() : null))
      .then((blob) => {
        if (!live || !blob) return;
        made = URL.createObjectURL(blob);
        setObjectUrl(made);
      })
      .catch(() => {});
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
      setObjectUrl(null);
    };
  }, [thumbnailUrl]);
  return objectUrl;
}

function CaseCard(props: {
  rank: number;
  item: SimilarCase;
  draftSentences: Set<string>;
  canInsert: boolean;
  target: SectionKey;
  selected: boolean;
  onSelect: () => void;
  onInsert: (sentence: string) => void;
  onOpenBeside: () => void;
}) {
  const { item } = props;
  const hint = useShortcutHint();
  const thumbnail = useThumbnail(item.thumbnailUrl);
  const sentences = splitSentences(item.report);
  const pct = Math.max(0, Math.min(1, item.similarity));
  return (
    <li
      className={props.selected ? "case-card selected" : "case-card"}
      data-testid="similar-case"
      data-study-id={item.studyId}
      aria-current={props.selected ? "true" : undefined}
      onFocus={props.onSelect}
    >
      <div className="case-thumb">
        {thumbnail ? (
          <img src={thumbnail} alt={`Frontal view of ${item.studyId}`} draggable={false} />
        ) : item.thumbnailUrl ? (
          <span className="no-thumb">loading</span>
        ) : (
          <span className="no-thumb">no image</span>
        )}
      </div>
      <div className="case-main">
        <div className="case-head">
          <span className="case-rank">#{props.rank}</span>
          <span className="case-id" title={item.studyId}>
            {item.studyId}
          </span>
          <span className="case-sim" title={`Cosine similarity ${item.similarity.toFixed(4)}`}>
            <span className="sim-bar">
              <span style={{ width: `${pct * 100}%` }} />
            </span>
            {item.similarity.toFixed(2)}
          </span>
          <button
            type="button"
            className="btn btn-small"
            onClick={props.onOpenBeside}
            title={hint("Show this case's images beside the current study", "similar.openBeside")}
          >
            Open beside
          </button>
        </div>
        <Findings labels={item.labels} />
        <p className="case-report">
          {sentences.map((s) => {
            const inDraft = props.draftSentences.has(normaliseSentence(s.text));
            return (
              <span key={s.start} className={inDraft ? "case-sentence in-draft" : "case-sentence"}>
                {props.canInsert && (
                  <button
                    type="button"
                    className="insert-btn"
                    aria-label={`Insert into ${props.target}: ${s.text}`}
                    title={`Insert this sentence into ${props.target}`}
                    onClick={() => props.onInsert(s.text)}
                  >
                    +
                  </button>
                )}
                <span className="sentence-text">{s.text}</span>{" "}
              </span>
            );
          })}
        </p>
      </div>
    </li>
  );
}

export function SimilarCasesPane({
  study,
  onOpenBeside,
}: {
  study: StudyDetail | null;
  /**
   * Called with the similar case's study id and thumbnail: the viewer shows its frontal image beside the current
   * study, or its thumbnail ("thumbnail only") when the workstation has no images of it.
   */
  onOpenBeside: (studyId: string, thumbnailUrl: string | undefined) => void;
}) {
  const client = useClient();
  const { session, snapshot } = useReportSession(client, study?.id ?? null);
  const [target, setTarget] = useState<SectionKey>("findings");
  const server = snapshot?.server ?? null;
  const cases = server?.similarCases ?? [];
  const sections = snapshot?.sections;
  const draftSentences = useMemo(() => (sections ? normalisedSentenceSet(sections) : new Set<string>()), [sections]);
  const canInsert = !!session && !!server && !server.signed && !snapshot?.loading;
  const running = server?.job.state === "running";
  const runCommand = useRunCommand();
  // The selected case: the card that holds, or last held, the focus (a ref, so a button's click sees it at once).
  const selectedId = useRef<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const select = (caseId: string) => {
    selectedId.current = caseId;
    setSelected(caseId);
  };
  // Another study: no case selected.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the open study changes.
  useEffect(() => {
    selectedId.current = null;
    setSelected(null);
  }, [study?.id]);
  useCommands({
    // The selected case while it is listed, else the most similar one (none retrieved: nothing to open).
    "similar.openBeside": () => {
      const c = cases.find((x) => x.studyId === selectedId.current) ?? cases[0];
      if (c) onOpenBeside(c.studyId, c.thumbnailUrl);
    },
  });

  let body: ReactNode;
  if (study === null) {
    body = <p className="empty-state">Open a study to retrieve the most similar prior cases.</p>;
  } else if (!server) {
    body = <p className="empty-state">{snapshot?.error ?? "Loading…"}</p>;
  } else if (cases.length === 0 && running) {
    body = (
      <ul className="case-list" aria-busy="true">
        {Array.from({ length: SKELETON_ROWS }, (_, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed placeholder rows.
          <li key={i} className="case-card skeleton-card">
            <div className="case-thumb" />
            <div className="case-main">
              <span className="skeleton-line" />
              <span className="skeleton-line short" />
            </div>
          </li>
        ))}
      </ul>
    );
  } else if (cases.length === 0) {
    body = (
      <p className="empty-state" data-testid="similar-empty">
        {!server.scope.draftAllowed
          ? `No similar-case search: ${server.scope.headline}.`
          : server.job.state === "unavailable"
            ? "No model pack loaded: similar cases come from the model's retrieval index."
            : server.job.state === "failed"
              ? "No similar cases: the AI draft failed."
              : "No similar cases retrieved for this study."}
      </p>
    );
  } else {
    body = (
      <ul className="case-list">
        {cases.map((c, i) => (
          <CaseCard
            key={c.studyId}
            rank={i + 1}
            item={c}
            draftSentences={draftSentences}
            canInsert={canInsert}
            target={target}
            selected={selected === c.studyId}
            onSelect={() => select(c.studyId)}
            onInsert={(sentence) => void session?.insertSentence(sentence, target)}
            onOpenBeside={() => {
              select(c.studyId);
              runCommand("similar.openBeside");
            }}
          />
        ))}
      </ul>
    );
  }

  return (
    <section className="pane similar-pane" aria-label="Similar cases">
      <header className="pane-header">
        <h2>Similar prior cases</h2>
        {cases.length > 0 && <span className="count">top {cases.length}</span>}
        <span className="header-spacer" />
        <label className="insert-target">
          <span className="muted">Insert into</span>
          <select
            value={target}
            onChange={(e) => setTarget(e.target.value as SectionKey)}
            aria-label="Insert sentences into"
          >
            <Options values={INSERT_TARGETS} labels={SECTION_TITLES} />
          </select>
        </label>
      </header>
      <div className="similar-body">{body}</div>
    </section>
  );
}
