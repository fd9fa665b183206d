/**
 * Model-free baselines that anchor every model number: the most frequent train report, a seeded random train
 * report, and a "same positive findings" oracle (the train report whose labeler-positive observations equal the
 * study's own). Pure: no Node imports.
 */
import { labelReport, splitReportSentences } from "./clinical-labeler";
import type { Prediction } from "./evaluate-reports";
import type { ImpressionDataset } from "./impression-dataset";
import type { Annotation, Split } from "./iu-xray-data";
import { cleanReportIuXray } from "./r2gen-cleaning";

/** mulberry32: a small, well-known seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface TrainReport {
  report: string;
  clean: string;
  frequency: number;
  positives: string;
}

function trainReports(annotation: Annotation): TrainReport[] {
  const frequency = new Map<string, number>();
  const cleaned = annotation.train.map((study) => cleanReportIuXray(study.report));
  for (const clean of cleaned) frequency.set(clean, (frequency.get(clean) ?? 0) + 1);
  return annotation.train.map((study, index) => ({
    report: study.report,
    clean: cleaned[index]!,
    frequency: frequency.get(cleaned[index]!)!,
    positives: positiveKey(study.report),
  }));
}

/** The labeler's positive observations of a report, as a key ("2,4" = observations 2 and 4). */
export function positiveKey(report: string): string {
  return labelReport(report)
    .labels.flatMap((value, index) => (value === 1 ? [index] : []))
    .join(",");
}

/** Most frequent first; ties by cleaned text (deterministic). */
function byFrequency(a: TrainReport, b: TrainReport): number {
  return b.frequency - a.frequency || (a.clean < b.clean ? -1 : a.clean > b.clean ? 1 : 0);
}

/** The most frequent (cleaned) train report, for every study. */
export function mostFrequentBaseline(
  annotation: Annotation,
  split: Split,
): { predictions: Prediction[]; report: string } {
  const best = [...trainReports(annotation)].sort(byFrequency)[0]!;
  return {
    predictions: annotation[split].map((study) => ({ id: study.id, report: best.report })),
    report: best.report,
  };
}

/** A random train report per study, from a seeded generator. */
export function randomBaseline(annotation: Annotation, split: Split, seed: number): Prediction[] {
  const random = seededRandom(seed);
  return annotation[split].map((study) => ({
    id: study.id,
    report: annotation.train[Math.floor(random() * annotation.train.length)]!.report,
  }));
}

function jaccard(a: string, b: string): number {
  const setA = new Set(a ? a.split(",") : []);
  const setB = new Set(b ? b.split(",") : []);
  if (setA.size === 0 && setB.size === 0) return 1;
  let intersection = 0;
  for (const item of setA) if (setB.has(item)) intersection++;
  return intersection / (setA.size + setB.size - intersection);
}

/**
 * The oracle: for each study, the most frequent train report whose labeler positives equal the study's; when no
 * train report has exactly that set, the one with the highest Jaccard overlap (then most frequent).
 */
export function samePositiveFindingsOracle(
  annotation: Annotation,
  split: Split,
): { predictions: Prediction[]; exactMatches: number } {
  const reports = [...trainReports(annotation)].sort(byFrequency);
  const byKey = new Map<string, TrainReport>();
  for (const report of reports) if (!byKey.has(report.positives)) byKey.set(report.positives, report);
  let exactMatches = 0;
  const predictions = annotation[split].map((study) => {
    const key = positiveKey(study.report);
    let chosen = byKey.get(key);
    if (chosen) exactMatches++;
    else {
      let bestScore = -1;
      for (const [candidateKey, candidate] of byKey) {
        const score = jaccard(key, candidateKey);
        if (score > bestScore || (score === bestScore && byFrequency(candidate, chosen!) < 0)) {
          bestScore = score;
          chosen = candidate;
        }
      }
    }
    return { id: study.id, report: chosen!.report };
  });
  return { predictions, exactMatches };
}

/** What the normal rule writes for findings the labeler calls normal. */
export const NORMAL_IMPRESSION = "No acute cardiopulmonary abnormality.";

/**
 * The model-free impression baselines over a split of the findings → impression dataset:
 * - the most frequent train impression (by cleaned text; ties by text);
 * - the impression of the nearest train report by TF-IDF of the findings (the dataset's retrieved impression);
 * - the normal rule: findings the labeler calls normal (No Finding 1) -> NORMAL_IMPRESSION; otherwise the findings'
 *   sentences that name a present (label 1) observation, or NORMAL_IMPRESSION when there is none.
 */
export function impressionBaselines(
  dataset: ImpressionDataset,
  split: Split,
): { name: string; predictions: Prediction[]; note: string }[] {
  const train = dataset.examples.filter((e) => e.split === "train");
  const examples = dataset.examples.filter((e) => e.split === split);
  const counts = new Map<string, { count: number; raw: string }>();
  for (const e of train) {
    const entry = counts.get(e.impression_clean) ?? { count: 0, raw: e.impression };
    entry.count++;
    counts.set(e.impression_clean, entry);
  }
  const [frequentClean, frequent] = [...counts].sort(
    ([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : a > b ? 1 : 0),
  )[0]!;
  const byUid = new Map(train.map((e) => [e.uid, e]));
  const rule = (findings: string): string => {
    const labels = labelReport(findings).labels;
    if (labels[0] === 1) return NORMAL_IMPRESSION;
    const positive = splitReportSentences(findings).filter((s) =>
      labelReport(s).labels.some((v, i) => i > 0 && v === 1),
    );
    return positive.length > 0 ? `${positive.join(". ")}.` : NORMAL_IMPRESSION;
  };
  return [
    {
      name: "most frequent train impression",
      predictions: examples.map((e) => ({ id: e.id, report: frequent.raw })),
      note: `"${frequent.raw}" (${frequent.count} of ${train.length} train impressions clean to "${frequentClean}")`,
    },
    {
      name: "nearest train report (TF-IDF of findings)",
      predictions: examples.map((e) => ({ id: e.id, report: byUid.get(e.retrieved_uid)!.impression })),
      note: "",
    },
    {
      name: "normal rule",
      predictions: examples.map((e) => ({ id: e.id, report: rule(e.findings) })),
      note: `findings labelled normal -> "${NORMAL_IMPRESSION}", otherwise the findings' sentences with a present observation`,
    },
  ];
}
