/**
 * Score generated reports: BLEU-1..4, METEOR, ROUGE-L (pycocoevalcap conventions) and clinical efficacy.
 *
 *   npm run eval -- --predictions FILE.jsonl --out OUT.json [--split test] [--annotation path]
 *     [--reference-convention r2gen|raw] [--data DIR]
 *     (--data: a tools/synth dataset folder; adds, per drawn finding, the share of drafts naming it and the
 *     false-mention rate)
 *   npm run eval -- --pack DIR --split test [--data data/iu_xray_synth] [--out OUT.json] [--threads N]
 *     (the inference engine generates the split first: src-main/cli/eval-pack.ts)
 *
 * FILE.jsonl holds one `{"id": ..., "report": ...}` per line (raw report text), exactly one per study of the
 * split. OUT.json gets n, bleu1..bleu4, meteor, rouge_l and ce {precision, recall, f1, macro_f1}.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { type EvaluationResult, evaluateReports, type Prediction } from "../services/language/evaluate-reports";
import { SPLITS, type Split } from "../services/language/iu-xray-data";
import { DEFAULT_ANNOTATION_PATH, loadAnnotationFile } from "../services/language/iu-xray-dataset";
import { REFERENCE_CONVENTIONS, type ReferenceConvention } from "../services/language/references";
import type { NamingRate } from "../services/reports/finding-review";
import { drawnNamingRates } from "./drawn-naming";
import { fmt, markdownTable, runCli, UserError } from "./language-cli-support";

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
      pack: { type: "string" },
      data: { type: "string" },
      threads: { type: "string" },
    },
  });
  if (values.pack !== undefined) return packMode(values);
  if (!values.predictions) throw new UserError("--predictions FILE.jsonl is required");
  if (!values.out) throw new UserError("--out OUT.json is required");
  const split = values.split as Split;
  if (!SPLITS.includes(split))
    throw new UserError(`--split must be one of ${SPLITS.join(", ")}, got "${values.split}"`);
  const convention = values["reference-convention"] as ReferenceConvention;
  if (!REFERENCE_CONVENTIONS.includes(convention)) {
    throw new UserError(
      `--reference-convention must be one of ${REFERENCE_CONVENTIONS.join(", ")}, got "${convention}"`,
    );
  }
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
  const split = values.split as Split;
  if (!SPLITS.includes(split))
    throw new UserError(`--split must be one of ${SPLITS.join(", ")}, got "${values.split}"`);
  const convention = values["reference-convention"] as ReferenceConvention;
  if (!REFERENCE_CONVENTIONS.includes(convention))
    throw new UserError(
      `--reference-convention must be one of ${REFERENCE_CONVENTIONS.join(", ")}, got "${convention}"`,
    );
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64))
    throw new UserError(`--threads must be an integer from 1 to 64, got "${values.threads}"`);
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
