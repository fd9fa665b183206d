/**
 * The findings → impression dataset (radiology-draft/impression-manifest@1) that training/impression.py reads.
 * Pure: no Node imports.
 *
 * - Source: the Open-i report table (indiana_reports.csv), uid = the number after CXR in an R2Gen study id.
 * - Split: the R2Gen val and test studies keep their split; train = the R2Gen train studies plus every Open-i
 *   report outside R2Gen's split. No val or test uid is ever in train.
 * - Reports whose findings or impression is empty (after trimming) are counted per split and left out.
 * - Text: R2Gen cleaning; one vocabulary for findings and impressions from the train examples (tokens with count
 *   >= IMPRESSION_VOCAB_THRESHOLD, plus <unk>); ids as R2Gen's tokenizer gives them (0 = BOS/EOS/PAD).
 * - Retrieval: each example's nearest *train* findings by TF-IDF (tfidf.ts, over token ids), never its own
 *   study; its impression is the model's second input and the nearest-report baseline.
 */
import type { Annotation, AnnotationStudy, Split } from "./iu-xray-data";
import { SPLITS, uidOfStudyId } from "./iu-xray-data";
import type { OpenIReport } from "./open-i-reports";
import { cleanReportIuXray } from "./r2gen-cleaning";
import {
  buildR2GenVocabulary,
  R2GEN_INDEX0_PLACEHOLDER,
  R2GEN_SPECIAL_ID,
  R2GenTokenizer,
  type R2GenTokenizerManifest,
  r2genTokenizerManifest,
} from "./r2gen-tokenizer";
import { TfIdfIndex } from "./tfidf";

export const IMPRESSION_MANIFEST_FORMAT = "radiology-draft/impression-manifest@1";
export const IMPRESSION_VOCAB_THRESHOLD = 2;
/** Findings tokens the model reads (ids without BOS/EOS); longer findings are cut. */
export const IMPRESSION_MAX_FINDINGS_TOKENS = 120;
/** Impression token ids with BOS and EOS, as R2Gen cuts reports ([0] + ids + [0])[:60]. */
export const IMPRESSION_MAX_SEQ_LENGTH = 60;

export interface ImpressionExample {
  /** The R2Gen study id, or CXR<uid> for an Open-i report outside R2Gen's split. */
  id: string;
  uid: number;
  split: Split;
  findings: string;
  impression: string;
  findings_clean: string;
  impression_clean: string;
  /** Findings token ids, no BOS/EOS, at most IMPRESSION_MAX_FINDINGS_TOKENS. */
  findings_ids: number[];
  /** [0] + impression ids + [0], cut to IMPRESSION_MAX_SEQ_LENGTH. */
  impression_ids: number[];
  /** The nearest train example by TF-IDF of the findings (never the example itself). */
  retrieved_uid: number;
  retrieved_similarity: number;
  /** The retrieved train impression's ids, no BOS/EOS. */
  retrieved_ids: number[];
}

export interface SplitCounts {
  reports: number;
  kept: number;
  empty_findings: number;
  empty_impression: number;
}

export interface ImpressionManifest {
  format: typeof IMPRESSION_MANIFEST_FORMAT;
  dataset: "iu_xray-open-i";
  created: string;
  sources: { reports: string; annotation: string };
  /** train: R2Gen train + outside; r2gen_train / outside break train down. */
  counts: Record<Split | "r2gen_train" | "outside", SplitCounts>;
  tokenizer: R2GenTokenizerManifest & { max_findings_tokens: number };
  examples: ImpressionExample[];
}

export interface ImpressionDataset {
  tokenizer: R2GenTokenizer;
  examples: ImpressionExample[];
  counts: ImpressionManifest["counts"];
}

function isEmpty(text: string): boolean {
  return text.trim().length === 0;
}

/** Findings ids as the model reads them: no BOS/EOS, cut to IMPRESSION_MAX_FINDINGS_TOKENS. */
export function findingsTokenIds(tokenizer: R2GenTokenizer, findings: string): number[] {
  return tokenizer.encodeUntruncated(findings).slice(1, -1).slice(0, IMPRESSION_MAX_FINDINGS_TOKENS);
}

/** The impression tokenizer from its stored vocabulary (idx2token with the index-0 placeholder). */
export function impressionTokenizer(idx2token: readonly string[]): R2GenTokenizer {
  if (idx2token[0] !== R2GEN_INDEX0_PLACEHOLDER) throw new Error("idx2token[0] must be the <pad/bos/eos> placeholder");
  return new R2GenTokenizer(idx2token.slice(1), IMPRESSION_MAX_SEQ_LENGTH);
}

interface Candidate {
  id: string;
  uid: number;
  split: Split;
  report: OpenIReport;
}

/** Build the dataset from the Open-i table and the R2Gen annotation (which decides val and test). */
export function buildImpressionDataset(
  annotation: Annotation,
  reports: ReadonlyMap<number, OpenIReport>,
): ImpressionDataset {
  const splitOfUid = new Map<number, { split: Split; study: AnnotationStudy }>();
  for (const split of SPLITS)
    for (const study of annotation[split]) splitOfUid.set(uidOfStudyId(study.id), { split, study });
  const missing = [...splitOfUid.keys()].filter((uid) => !reports.has(uid));
  if (missing.length > 0)
    throw new Error(
      `${missing.length} R2Gen studies have no row in the Open-i report table: uid ${missing.slice(0, 10).join(", ")}`,
    );
  const zero = (): SplitCounts => ({ reports: 0, kept: 0, empty_findings: 0, empty_impression: 0 });
  const counts: ImpressionManifest["counts"] = {
    train: zero(),
    val: zero(),
    test: zero(),
    r2gen_train: zero(),
    outside: zero(),
  };
  const candidates: Candidate[] = [];
  for (const split of SPLITS) {
    for (const study of annotation[split]) {
      const uid = uidOfStudyId(study.id);
      candidates.push({ id: study.id, uid, split, report: reports.get(uid)! });
    }
  }
  const outside = [...reports.values()].filter((report) => !splitOfUid.has(report.uid)).sort((a, b) => a.uid - b.uid);
  for (const report of outside) candidates.push({ id: `CXR${report.uid}`, uid: report.uid, split: "train", report });
  const kept: Candidate[] = [];
  for (const candidate of candidates) {
    const groups = [
      counts[candidate.split],
      counts[
        splitOfUid.has(candidate.uid) ? (candidate.split === "train" ? "r2gen_train" : candidate.split) : "outside"
      ],
    ];
    const unique = [...new Set(groups)];
    const emptyFindings = isEmpty(candidate.report.findings);
    const emptyImpression = isEmpty(candidate.report.impression);
    for (const c of unique) {
      c.reports++;
      if (emptyFindings) c.empty_findings++;
      if (emptyImpression) c.empty_impression++;
      if (!emptyFindings && !emptyImpression) c.kept++;
    }
    if (!emptyFindings && !emptyImpression) kept.push(candidate);
  }
  const train = kept.filter((c) => c.split === "train");
  const tokenizer = new R2GenTokenizer(
    buildR2GenVocabulary(
      train.flatMap((c) => [c.report.findings, c.report.impression]),
      IMPRESSION_VOCAB_THRESHOLD,
    ),
    IMPRESSION_MAX_SEQ_LENGTH,
  );
  const findingsIds = kept.map((c) => findingsTokenIds(tokenizer, c.report.findings));
  const trainIndex = kept.flatMap((c, i) => (c.split === "train" ? [i] : []));
  const index = new TfIdfIndex(trainIndex.map((i) => findingsIds[i]!));
  const examples = kept.map((c, i): ImpressionExample => {
    const near = index.nearest(findingsIds[i]!, (j) => kept[trainIndex[j]!]!.uid === c.uid);
    const retrieved = kept[trainIndex[near.index]!]!;
    return {
      id: c.id,
      uid: c.uid,
      split: c.split,
      findings: c.report.findings,
      impression: c.report.impression,
      findings_clean: cleanReportIuXray(c.report.findings),
      impression_clean: cleanReportIuXray(c.report.impression),
      findings_ids: findingsIds[i]!,
      impression_ids: tokenizer.encode(c.report.impression),
      retrieved_uid: retrieved.uid,
      retrieved_similarity: near.similarity,
      retrieved_ids: tokenizer
        .encode(retrieved.report.impression)
        .slice(1)
        .filter((id) => id !== R2GEN_SPECIAL_ID),
    };
  });
  return { tokenizer, examples, counts };
}

export function buildImpressionManifest(
  dataset: ImpressionDataset,
  sources: ImpressionManifest["sources"],
  created: string,
): ImpressionManifest {
  return {
    format: IMPRESSION_MANIFEST_FORMAT,
    dataset: "iu_xray-open-i",
    created,
    sources,
    counts: dataset.counts,
    tokenizer: r2genTokenizerManifest(dataset.tokenizer, IMPRESSION_VOCAB_THRESHOLD, {
      max_findings_tokens: IMPRESSION_MAX_FINDINGS_TOKENS,
    }),
    examples: dataset.examples,
  };
}

/**
 * The impression references of a split in the annotation's shape (report = the impression), for
 * evaluateReports: the examples of the split (reports with an empty findings or impression are not scored).
 */
export function impressionAnnotation(dataset: ImpressionDataset): Annotation {
  const out: Annotation = { train: [], val: [], test: [] };
  for (const e of dataset.examples)
    out[e.split].push({ id: e.id, report: e.impression, image_path: [], split: e.split });
  return out;
}
