/**
 * Score generated reports: BLEU-1..4, METEOR, ROUGE-L (pycocoevalcap conventions) and clinical efficacy.
 *
 *   npm run eval -- --predictions FILE.jsonl --out OUT.json [--split test] [--annotation path]
 *     [--reference-convention r2gen|raw] [--data DIR]
 *     (--data: a tools/synth dataset folder; adds, per drawn finding, the share of drafts naming it and the
 *     false-mention rate)
 *   npm run eval -- --pack DIR --split test [--data data/iu_xray_synth] [--out OUT.json] [--threads N]
 *     (the inference engine generates the split first: src-main/cli/eval-pack.ts)
 *   npm run eval -- --section impression --predictions FILE.jsonl --out OUT.json [--split test]
 *     [--reports resources/iu_xray/indiana_reports.csv]
 *     (impressions against the Open-i reference impressions, plus the contradiction rate against the findings)
 *   npm run eval -- --section impression --pack models/iu-xray-impression --split test [--out OUT.json]
 *     (the impression drafter writes the split from the reference findings first: eval-impression-pack.ts)
 *
 * FILE.jsonl holds one `{"id": ..., "report": ...}` per line (raw report text), exactly one per study of the
 * split. OUT.json gets n, bleu1..bleu4, meteor, rouge_l and ce {precision, recall, f1, macro_f1}.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { evaluateImpressions, type ImpressionEvaluation } from "../services/language/evaluate-impressions";
import { type EvaluationResult, evaluateReports, type Prediction } from "../services/language/evaluate-reports";
import { SPLITS, type Split } from "../services/language/iu-xray-data";
import {
  DEFAULT_ANNOTATION_PATH,
  DEFAULT_OPEN_I_REPORTS_PATH,
  loadAnnotationFile,
  loadImpressionDataset,
} from "../services/language/iu-xray-dataset";
import { REFERENCE_CONVENTIONS, type ReferenceConvention } from "../services/language/references";
import type { NamingRate } from "../services/reports/finding-review";
import { drawnNamingRates } from "./drawn-naming";
import { ENGINE_CLI_OPTIONS, fmt, markdownTable, runCli, threadsOption, UserError } from "./language-cli-support";

/** --section, checked: findings (the default) or impression. */
export function checkSection(values: { section?: string }): "findings" | "impression" {
  if (values.section !== "findings" && values.section !== "impression")
    throw new UserError(`--section must be findings or impression, got "${values.section}"`);
  return values.section;
}

/** --split and --reference-convention, checked (the same words for every mode of the command, and for baselines). */
export function splitAndConvention(values: { split?: string; "reference-convention"?: string }): {
  split: Split;
  convention: ReferenceConvention;
} {
  const split = values.split as Split;
  if (!SPLITS.includes(split))
    throw new UserError(`--split must be one of ${SPLITS.join(", ")}, got "${values.split}"`);
  const convention = values["reference-convention"] as ReferenceConvention;
  if (!REFERENCE_CONVENTIONS.includes(convention))
    throw new UserError(
      `--reference-convention must be one of ${REFERENCE_CONVENTIONS.join(", ")}, got "${convention}"`,
    );
  return { split, convention };
}

/** Read predictions from JSON Lines; every problem names the file and line. */
export function readPredictionsJsonl(filePath: string): Prediction[] {
  if (!fs.existsSync(filePath)) throw new UserError(`predictions file not found: ${filePath}`);
  const predictions: Prediction[] = [];
  const lines = fs.readFileSync(filePath, "utf8").split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const where = `${filePath}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new UserError(`${where}: not valid JSON (${(error as Error).message})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new UserError(`${where}: expected an object {"id": ..., "report": ...}`);
    }
    const { id, report } = value as Record<string, unknown>;
    if (typeof id !== "string" || id.length === 0) throw new UserError(`${where}: "id" must be a non-empty string`);
    if (typeof report !== "string") throw new UserError(`${where}: "report" must be a string`);
    predictions.push({ id, report });
  });
  if (predictions.length === 0) throw new UserError(`${filePath}: no predictions`);
  return predictions;
}

/** The Markdown table the CLIs print for one or more evaluated systems. */
export function metricsTable(rows: readonly { name: string; result: EvaluationResult }[]): string {
  return markdownTable(
    [
      "system",
      "n",
      "BLEU-1",
      "BLEU-2",
      "BLEU-3",
      "BLEU-4",
      "METEOR",
      "ROUGE-L",
      "CE P",
      "CE R",
      "CE F1",
      "CE macro-F1",
    ],
    rows.map(({ name, result: r }) => [
      name,
      String(r.n),
      fmt(r.bleu1),
      fmt(r.bleu2),
      fmt(r.bleu3),
      fmt(r.bleu4),
      fmt(r.meteor),
      fmt(r.rouge_l),
      fmt(r.ce.precision),
      fmt(r.ce.recall),
      fmt(r.ce.f1),
      fmt(r.ce.macro_f1),
    ]),
  );
}

/** The JSON written for one evaluation (without the scored texts). */
export function resultJson(result: EvaluationResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { scored: _scored, ...metrics } = result;
  return { ...metrics, ...extra };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      predictions: { type: "string" },
      out: { type: "string" },
      split: { type: "string", default: "test" },
      annotation: { type: "string", default: DEFAULT_ANNOTATION_PATH },
      "reference-convention": { type: "string", default: "r2gen" },
      ...ENGINE_CLI_OPTIONS,
      data: { type: "string" },
      section: { type: "string", default: "findings" },
      reports: { type: "string", default: DEFAULT_OPEN_I_REPORTS_PATH },
    },
  });
  if (checkSection(values) === "impression") return impressionMode(values);
  if (values.pack !== undefined) return packMode(values);
  if (!values.predictions) throw new UserError("--predictions FILE.jsonl is required");
  if (!values.out) throw new UserError("--out OUT.json is required");
  const { split, convention } = splitAndConvention(values);
  const started = performance.now();
  const annotation = loadAnnotationFile(values.annotation!);
  const predictions = readPredictionsJsonl(values.predictions);
  const bar = new cliProgress.SingleBar(
    { format: "scoring [{bar}] {value}/{total} {step}", hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(5, 0, { step: "" });
  let result: EvaluationResult;
  try {
    result = evaluateReports(predictions, {
      annotation,
      split,
      convention,
      onProgress: (step, done) => bar.update(done, { step }),
    });
  } catch (error) {
    bar.stop();
    if (error instanceof Error && (error.name === "PredictionSetError" || error.name === "EvaluationInputError"))
      throw new UserError(`${values.predictions}: ${error.message}`);
    throw error;
  }
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
  const distinctDrafts = new Set(predictions.map((p) => p.report)).size;
  // --data: a tools/synth dataset folder whose manifest carries the drawn findings of the split's studies.
  let naming: NamingRate[] | null = null;
  if (values.data !== undefined) {
    const { readEvalStudies } = await import("./eval-pack");
    // The scoring above checked the predictions against the annotation's split; the dataset may hold more.
    const scoredIds = new Set(predictions.map((p) => p.id));
    const studies = readEvalStudies(values.data, split, values.annotation!).filter((s) => scoredIds.has(s.id));
    if (!studies.every((s) => s.drawn))
      throw new UserError(`${values.data}: the dataset manifest carries no drawn findings for the ${split} split`);
    naming = drawnNamingRates(studies, predictions, null);
  }
  const json = resultJson(result, {
    predictions: path.resolve(values.predictions),
    annotation: path.resolve(values.annotation!),
    distinct_drafts: distinctDrafts,
    ...(naming ? { drawn_finding_naming: naming } : {}),
  });
  fs.writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(metricsTable([{ name: path.basename(values.predictions), result }]));
  printNaming(result.n, naming, distinctDrafts);
  console.log(
    `\n${result.n} ${split} studies, reference convention ${convention}; wrote ${values.out} in ${seconds.toFixed(1)} s`,
  );
}

/** The contradiction line printed under an impression table. */
export function contradictionLine(name: string, r: ImpressionEvaluation): string {
  const c = r.contradictions;
  return `${name}: contradictions ${(100 * c.rate).toFixed(1)} % (${c.studies} of ${r.n}: ${c.negated} name a finding the findings negate, ${c.normal_despite_acute} call the study normal despite an acute finding); reference impressions ${(100 * c.reference_rate).toFixed(1)} %`;
}

/** The JSON of an impression evaluation. */
export function impressionJson(result: ImpressionEvaluation, extra: Record<string, unknown> = {}) {
  return resultJson(result, { section: "impression", ...extra });
}

/** --section impression: score impressions (from a file, or drafted by a pack) against the Open-i impressions. */
async function impressionMode(values: {
  pack?: string;
  predictions?: string;
  split?: string;
  annotation?: string;
  reports?: string;
  out?: string;
  "reference-convention"?: string;
}): Promise<void> {
  const { split, convention } = splitAndConvention(values);
  const started = performance.now();
  const dataset = loadImpressionDataset(values.reports!, values.annotation!);
  if (values.pack !== undefined) {
    if (values.predictions) throw new UserError("--pack drafts the predictions: leave out --predictions");
    const { evaluateImpressionPack } = await import("./eval-impression-pack");
    return evaluateImpressionPack({ pack: values.pack, split, dataset, convention, out: values.out, started });
  }
  if (!values.predictions) throw new UserError("--predictions FILE.jsonl (or --pack DIR) is required");
  if (!values.out) throw new UserError("--out OUT.json is required");
  const predictions = readPredictionsJsonl(values.predictions);
  let result: ImpressionEvaluation;
  try {
    result = evaluateImpressions(predictions, dataset, split, convention);
  } catch (error) {
    if (error instanceof Error && error.name === "PredictionSetError")
      throw new UserError(`${values.predictions}: ${error.message}`);
    throw error;
  }
  fs.mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
  const json = impressionJson(result, {
    predictions: path.resolve(values.predictions),
    reports: path.resolve(values.reports!),
    annotation: path.resolve(values.annotation!),
  });
  fs.writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`);
  const name = path.basename(values.predictions);
  console.log(metricsTable([{ name, result }]));
  console.log(`\n${contradictionLine(name, result)}`);
  console.log(
    `\n${result.n} ${split} impressions, reference convention ${convention}; wrote ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** The drawn-findings table (share of drafts naming each drawn finding, false mentions) and the distinct drafts. */
function printNaming(n: number, naming: readonly NamingRate[] | null, distinctDrafts: number): void {
  if (naming) {
    const pct = (v: number | null) => (v === null ? "n/a" : `${(100 * v).toFixed(1)} %`);
    console.log(
      `\nDrawn findings named by the drafts (${n} studies, ${distinctDrafts} distinct drafts):\n${markdownTable(
        ["finding", "drawn", "named when drawn", "false mentions (not drawn)"],
        naming.map((r) => [r.kind, String(r.drawn), pct(r.namedRate), pct(r.falseMentionRate)]),
      )}`,
    );
  } else {
    console.log(`\n${distinctDrafts} distinct drafts over ${n} studies`);
  }
}

/** --pack: generate the split with the inference engine, then score it (src-main/cli/eval-pack.ts). */
async function packMode(values: {
  pack?: string;
  predictions?: string;
  split?: string;
  data?: string;
  annotation?: string;
  out?: string;
  threads?: string;
  "reference-convention"?: string;
}): Promise<void> {
  if (values.predictions) throw new UserError("--pack generates the predictions: leave out --predictions");
  const { split, convention } = splitAndConvention(values);
  const threads = threadsOption(values.threads);
  // Loaded only here: the engine brings onnxruntime, which plain scoring does not need.
  const { evaluatePack } = await import("./eval-pack");
  const outcome = await evaluatePack({
    pack: values.pack!,
    split,
    data: values.data,
    // The default annotation applies unless the dataset folder has its own or --annotation names one.
    annotation: process.argv.some((a) => a === "--annotation" || a.startsWith("--annotation="))
      ? values.annotation
      : undefined,
    out: values.out,
    convention,
    threads,
  });
  const { result, engine } = outcome;
  fs.writeFileSync(
    outcome.outPath,
    `${JSON.stringify(
      resultJson(result, {
        predictions: outcome.predictionsPath,
        pack: { dir: engine.packDir, name: engine.name, version: engine.version, modelId: engine.modelId },
        execution_provider: engine.executionProvider,
        per_study_ms: outcome.perStudyMs,
        distinct_drafts: outcome.distinctDrafts,
        drawn_finding_naming: outcome.naming,
      }),
      null,
      2,
    )}\n`,
  );
  console.log(metricsTable([{ name: `${engine.name} ${engine.version} (inference engine)`, result }]));
  printNaming(result.n, outcome.naming, outcome.distinctDrafts);
  console.log(
    `\n${result.n} ${split} studies generated on ${engine.executionProvider} in ${outcome.seconds.toFixed(0)} s ` +
      `(per study p50 ${outcome.perStudyMs.p50.toFixed(0)} ms, p95 ${outcome.perStudyMs.p95.toFixed(0)} ms); ` +
      `reference convention ${convention}; wrote ${outcome.outPath} and ${outcome.predictionsPath}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) runCli(main);
