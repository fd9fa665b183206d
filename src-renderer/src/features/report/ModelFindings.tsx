/**
 * The model's findings for the open study (issue 14.6): each finding with its probability and the threshold chosen
 * on val, the draft sentences that name it (click to select one), and the two disagreements the sign dialog flags:
 * seen by the model but not in the text, named in the text but not seen. Computed by main from the last saved draft.
 */
import type { FindingReview, SectionKey } from "../../../../src-shared/report-types";

export function findingLabel(name: string): string {
  return name === "no-finding" ? "No finding" : `${name[0]?.toUpperCase() ?? ""}${name.slice(1).replace(/-/g, " ")}`;
}

export function ModelFindings({
  review,
  sections,
  onSelect,
}: {
  review: FindingReview;
  sections: Record<SectionKey, string>;
  onSelect: (section: SectionKey, start: number, end: number) => void;
}) {
  if (review.findings.length === 0) return null;
  const seen = review.findings.filter((f) => f.positive);
  const rest = review.findings.filter(
    (f) => !f.positive && (f.sentences.length > 0 || f.probability >= f.threshold / 2),
  );
  // A finding the pack's val split does not support is never decided, whatever its probability: not "below threshold".
  const below = rest.filter((f) => f.reliable);
  const undecided = rest.filter((f) => !f.reliable);
  const row = (f: FindingReview["findings"][number]) => {
    const flag = review.seenNotMentioned.includes(f.name)
      ? "seen by the model, not in the text"
      : review.mentionedNotSeen.includes(f.name)
        ? "in the text, not seen by the model"
        : null;
    return (
      <li
        key={f.name}
        className={`model-finding${f.positive ? " positive" : ""}${flag ? " flagged" : ""}`}
        data-testid="model-finding"
        data-finding={f.name}
      >
        <span className="model-finding-name">{findingLabel(f.name)}</span>{" "}
        <span
          className="model-finding-prob"
          title={`probability ${f.probability.toFixed(3)}, threshold ${f.threshold.toFixed(3)} (chosen on val)`}
        >
          {f.probability.toFixed(2)} / {f.threshold.toFixed(2)}
        </span>
        {flag && (
          <span className="model-finding-flag" data-testid="model-finding-flag">
            {" "}
            · {flag}
          </span>
        )}
        {f.sentences.map((s) => (
          <button
            key={`${s.section}:${s.start}`}
            type="button"
            className="link-button model-finding-link"
            title={`Select this sentence in ${s.section}`}
            onClick={() => onSelect(s.section, s.start, s.end)}
          >
            “{sections[s.section].slice(s.start, s.end)}”
          </button>
        ))}
      </li>
    );
  };
  return (
    <section className="model-findings" aria-label="Model findings" data-testid="model-findings">
      <h3>
        Model findings <span className="muted">probability / threshold</span>
      </h3>
      <ul>{seen.map(row)}</ul>
      {below.length > 0 && (
        <>
          <h4 className="muted">Below threshold</h4>
          <ul>{below.map(row)}</ul>
        </>
      )}
      {undecided.length > 0 && (
        <>
          <h4 className="muted" title="Too few val positives or val ROC AUC below 0.8: listed, never flagged">
            Not decided by the model (unreliable on val)
          </h4>
          <ul>{undecided.map(row)}</ul>
        </>
      )}
    </section>
  );
}

/** The sign dialog's warnings: one line per disagreement between the model and the text. */
export function findingWarnings(review: FindingReview): string[] {
  return [
    ...review.seenNotMentioned.map(
      (n) => `The model saw ${findingLabel(n).toLowerCase()}; the report does not mention it.`,
    ),
    ...review.mentionedNotSeen.map(
      (n) => `The report names ${findingLabel(n).toLowerCase()}; the model did not see it (below its threshold).`,
    ),
  ];
}
