/**
 * What the model saw against what the text says (issue 14.6). Each sentence of Findings and Impression is read by
 * the language toolkit's labeler (CheXpert observations, negation and uncertainty) and then by the report parser
 * the synthetic renderer draws from (../language/report-findings.ts), which turns affirmed mentions into the finding
 * kinds the diagnosis branch was trained on: the same mapping that decided what was drawn, so a sentence "names" a
 * finding exactly when a report made of it would have drawn that finding.
 * Negated mentions ("no effusion") name nothing.
 * Pure: no I/O.
 */
import { CHEXPERT_OBSERVATIONS as OBSERVATIONS } from "../../../src-shared/observations";
import { splitSentences } from "../../../src-shared/report-text";
import type { FindingReview, ModelFinding, ReportSections, SectionKey } from "../../../src-shared/report-types";
import { labelReport } from "../language/clinical-labeler";
import type { LabelValue, ObservationName as Observation } from "../language/observations";
import { findingsOf } from "../language/report-findings";

/** The model's name for "nothing drawn"; it is linked to no sentence and never flagged by itself. */
export const NO_FINDING_NAME = "no-finding";
const REVIEWED_SECTIONS: readonly SectionKey[] = ["findings", "impression"];

/** The finding kinds a piece of report text names (affirmed, certain or hedged), in the renderer's vocabulary. */
export function findingsNamedIn(text: string): Set<string> {
  const { labels } = labelReport(text);
  const record = Object.fromEntries(OBSERVATIONS.map((o, i) => [o, labels[i] ?? null])) as Record<
    Observation,
    LabelValue
  >;
  const { spec } = findingsOf({ id: "draft", report: text, labels: record });
  return new Set(spec.findings.map((f) => f.kind));
}

/** Links every model finding to the sentences that name it and lists the disagreements to flag before signing. */
export function reviewFindings(sections: ReportSections, modelFindings: readonly ModelFinding[]): FindingReview {
  const known = new Set(modelFindings.map((f) => f.name));
  const links = new Map<string, { section: SectionKey; start: number; end: number }[]>();
  const named = new Set<string>();
  for (const section of REVIEWED_SECTIONS) {
    for (const sentence of splitSentences(sections[section])) {
      for (const kind of findingsNamedIn(sentence.text)) {
        named.add(kind);
        if (!known.has(kind)) continue;
        const list = links.get(kind) ?? [];
        list.push({ section, start: sentence.start, end: sentence.end });
        links.set(kind, list);
      }
    }
  }
  const findings = modelFindings.map((f) => ({ ...f, sentences: links.get(f.name) ?? [] }));
  return {
    findings,
    // Seen by the model, not in the text.
    seenNotMentioned: findings
      .filter((f) => f.positive && f.name !== NO_FINDING_NAME && f.sentences.length === 0)
      .map((f) => f.name),
    // Named in the text, below the model's threshold (only findings the model has a head for can be judged).
    mentionedNotSeen: findings.filter((f) => f.reliable && !f.positive && named.has(f.name)).map((f) => f.name),
  };
}

/** Per drawn finding, how often drafts name it: when it was drawn (named) and when it was not (false mention). */
export interface NamingRate {
  kind: string;
  drawn: number;
  named: number;
  /** named / drawn (null when never drawn). */
  namedRate: number | null;
  notDrawn: number;
  falseMentions: number;
  /** falseMentions / notDrawn. */
  falseMentionRate: number | null;
}

/** Naming and false-mention rates of `kinds` over studies with their drawn findings and a draft each. */
export function namingRates(
  studies: readonly { drawn: readonly string[]; draft: string }[],
  kinds: readonly string[],
): NamingRate[] {
  const named = studies.map((s) => findingsNamedIn(s.draft));
  return kinds.map((kind) => {
    let drawn = 0;
    let hit = 0;
    let falseMentions = 0;
    studies.forEach((s, i) => {
      const has = s.drawn.includes(kind);
      const says = named[i]!.has(kind);
      if (has) {
        drawn++;
        if (says) hit++;
      } else if (says) falseMentions++;
    });
    const notDrawn = studies.length - drawn;
    return {
      kind,
      drawn,
      named: hit,
      namedRate: drawn ? hit / drawn : null,
      notDrawn,
      falseMentions,
      falseMentionRate: notDrawn ? falseMentions / notDrawn : null,
    };
  });
}
