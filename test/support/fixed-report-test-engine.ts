/**
 * TEST DOUBLE of the drafting engine (src-main/services/reports/draft-engine.ts), for the reports service tests
 * only. It looks at no image: it returns one real IU-Xray report (resources/iu_xray/annotation.json) as the
 * "draft" (all sentences but the last as Findings, the last as Impression), the k reports of the annotation with
 * the most words in common as "similar cases" (labels from resources/iu_xray/report-labels.csv), and a bag-of-words
 * vector of the report as the "study embedding". A gate lets a test hold the run to edit, cancel or crash meanwhile.
 */
import fs from "node:fs";
import path from "node:path";
import { parseAnnotation, parseReportLabelsCsv, uidOfStudyId } from "../../src-main/services/language/iu-xray-data";
import type {
  DraftEngine,
  DraftEngineOptions,
  DraftEngineResult,
  EngineModel,
} from "../../src-main/services/reports/draft-engine";
import { splitSentences } from "../../src-shared/report-text";
import type { LabelVector } from "../../src-shared/report-types";

const root = path.resolve(import.meta.dirname, "..", "..");
export const IU_ANNOTATION = path.join(root, "resources/iu_xray/annotation.json");
export const IU_LABELS = path.join(root, "resources/iu_xray/report-labels.csv");

export const TEST_DOUBLE_MODEL: EngineModel = {
  name: "fixed-report test double",
  version: "test",
  executionProvider: "none",
};
export const TEST_DOUBLE_EMBEDDING_MODEL = "test-double/bag-of-words-64";

interface IuReport {
  id: string;
  report: string;
  words: Set<string>;
}

let cached: { reports: IuReport[]; labels: Map<number, LabelVector> } | null = null;
function iuData() {
  if (!cached) {
    const annotation = parseAnnotation(JSON.parse(fs.readFileSync(IU_ANNOTATION, "utf8")), IU_ANNOTATION);
    const labels = parseReportLabelsCsv(fs.readFileSync(IU_LABELS, "utf8"), IU_LABELS);
    const reports = [...annotation.train, ...annotation.val, ...annotation.test].map((s) => ({
      id: s.id,
      report: s.report,
      words: new Set(s.report.toLowerCase().match(/[a-z]+/g) ?? []),
    }));
    cached = { reports, labels: new Map([...labels].map(([uid, r]) => [uid, r.labels as LabelVector])) };
  }
  return cached;
}

let allReports: string[] | null = null;
/** A sentence that occurs in a real IU-Xray report (any of the 3,851 in report-labels.csv); throws if none holds it. */
export function iuSentence(sentence: string): string {
  allReports ??= [...parseReportLabelsCsv(fs.readFileSync(IU_LABELS, "utf8"), IU_LABELS).values()].map((r) => r.report);
  if (!allReports.some((r) => r.includes(sentence))) throw new Error(`not an IU-Xray sentence: ${sentence}`);
  return sentence;
}

export function iuReport(id: string): string {
  const found = iuData().reports.find((r) => r.id === id);
  if (!found) throw new Error(`no IU-Xray report with id ${id} in ${IU_ANNOTATION}`);
  return found.report;
}

function bagOfWords(text: string, dims = 64): Float32Array {
  const v = new Float32Array(dims);
  for (const w of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 16777619) >>> 0;
    v[h % dims] = (v[h % dims] ?? 0) + 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

export interface FixedReportTestEngineOptions {
  /** The IU-Xray study whose report is returned. */
  reportId: string;
  k?: number;
  /** The run waits for this before answering (or rejects when aborted meanwhile). */
  gate?: Promise<void>;
  /** Leave the embedding out (an engine build without one). */
  withoutEmbedding?: boolean;
}

export class FixedReportTestEngine implements DraftEngine {
  readonly model = TEST_DOUBLE_MODEL;
  readonly calls: string[] = [];
  readonly aborted: string[] = [];

  constructor(private readonly options: FixedReportTestEngineOptions) {}

  async generate(studyId: string, { signal, onProgress }: DraftEngineOptions): Promise<DraftEngineResult> {
    this.calls.push(studyId);
    onProgress({ stage: "retrieval", done: 1, total: 3 });
    if (this.options.gate) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.aborted.push(studyId);
          reject(signal.reason ?? new Error("aborted"));
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        this.options.gate?.then(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
    onProgress({ stage: "beam decode", done: 2, total: 3 });
    const { reports, labels } = iuData();
    const report = iuReport(this.options.reportId);
    const sentences = splitSentences(report).map((s) => s.text);
    const words = new Set(report.toLowerCase().match(/[a-z]+/g) ?? []);
    const jaccard = (other: Set<string>) => {
      let both = 0;
      for (const w of other) if (words.has(w)) both++;
      return both / (words.size + other.size - both || 1);
    };
    const similarCases = reports
      .filter((r) => r.id !== this.options.reportId && r.id !== studyId)
      .map((r) => ({ r, score: jaccard(r.words) }))
      .sort((a, b) => b.score - a.score || a.r.id.localeCompare(b.r.id))
      .slice(0, this.options.k ?? 5)
      .map(({ r, score }) => ({
        studyId: r.id,
        similarity: score,
        report: r.report,
        labels: labels.get(uidOfStudyId(r.id)) ?? (Array(14).fill(null) as LabelVector),
        source: "gallery" as const,
      }));
    onProgress({ stage: "done", done: 3, total: 3 });
    return {
      findings: sentences.slice(0, -1).join(" "),
      impression: sentences[sentences.length - 1] ?? "",
      similarCases,
      model: TEST_DOUBLE_MODEL,
      ...(this.options.withoutEmbedding
        ? {}
        : { embedding: { modelId: TEST_DOUBLE_EMBEDDING_MODEL, vector: bagOfWords(report) } }),
    };
  }
}
