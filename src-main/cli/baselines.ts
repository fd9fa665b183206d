/**
 * Model-free baselines over a split (default test), printed as one Markdown table and written as JSON:
 * the most frequent train report, a seeded random train report, and the same-positive-findings oracle.
 *
 *   npm run baselines -- [--split test] [--seed 42] [--annotation path] [--reference-convention r2gen|raw]
 *     [--out data/baselines/iu_xray-<split>.json]
 *   npm run baselines -- --section impression [--split test] [--reports resources/iu_xray/indiana_reports.csv]
 *     [--out data/baselines/impression-<split>.json]
 *     (most frequent train impression, nearest train report by TF-IDF of the findings, the normal rule; with
 *     the contradiction rate against the findings)
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { appRoot } from "../paths";
import {
  impressionBaselines,
  mostFrequentBaseline,
  randomBaseline,
  samePositiveFindingsOracle,
} from "../services/language/baselines";
import { evaluateImpressions } from "../services/language/evaluate-impressions";
import { type EvaluationResult, evaluateReports, type Prediction } from "../services/language/evaluate-reports";
import { loadAnnotationFile, loadImpressionDataset } from "../services/language/iu-xray-dataset";
import { checkSection, contradictionLine, metricsTable, resultJson, splitAndConvention } from "./eval";
import { datasetFileOptions, runCli, UserError } from "./language-cli-support";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      split: { type: "string", default: "test" },
      seed: { type: "string", default: "42" },
      "reference-convention": { type: "string", default: "r2gen" },
      out: { type: "string" },
      section: { type: "string", default: "findings" },
      ...datasetFileOptions("annotation", "reports"),
    },
  });
  const section = checkSection(values);
  const { split, convention } = splitAndConvention(values);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new UserError(`--seed must be an integer, got "${values.seed}"`);
  const started = performance.now();
  if (section === "impression") {
    const out = values.out ?? path.join(appRoot(), "data", "baselines", `impression-${split}.json`);
    const dataset = loadImpressionDataset(values.reports!, values.annotation!);
    const results = impressionBaselines(dataset, split).map((system) => ({
      name: system.name,
      note: system.note,
      result: evaluateImpressions(system.predictions, dataset, split, convention),
    }));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const json = {
      section: "impression",
      split,
      reference_convention: convention,
      reports: path.resolve(values.reports!),
      annotation: path.resolve(values.annotation!),
      baselines: results.map(({ name, note, result }) => ({ name, note, ...resultJson(result) })),
    };
    fs.writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
    console.log(metricsTable(results));
    for (const { name, result } of results) console.log(contradictionLine(name, result));
    for (const { name, note } of results) if (note) console.log(`\n${name}: ${note}`);
    console.log(
      `\n${split} impressions, reference convention ${convention}; wrote ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return;
  }
  const out = values.out ?? path.join(appRoot(), "data", "baselines", `iu_xray-${split}.json`);
  const annotation = loadAnnotationFile(values.annotation!);

  const frequent = mostFrequentBaseline(annotation, split);
  const oracle = samePositiveFindingsOracle(annotation, split);
  const systems: { name: string; predictions: Prediction[]; note: string }[] = [
    { name: "most frequent train report", predictions: frequent.predictions, note: frequent.report },
    { name: `random train report (seed ${seed})`, predictions: randomBaseline(annotation, split, seed), note: "" },
    {
      name: "same-positive-findings oracle",
      predictions: oracle.predictions,
      note: `${oracle.exactMatches} of ${annotation[split].length} studies had a train report with exactly the same positive findings`,
    },
  ];
  const bar = new cliProgress.SingleBar(
    { format: "baselines [{bar}] {value}/{total} {name}" },
    cliProgress.Presets.shades_classic,
  );
  bar.start(systems.length, 0, { name: "" });
  const results: { name: string; result: EvaluationResult; note: string }[] = [];
  for (const system of systems) {
    bar.update(results.length, { name: system.name });
    results.push({
      name: system.name,
      note: system.note,
      result: evaluateReports(system.predictions, { annotation, split, convention }),
    });
  }
  bar.update(systems.length, { name: "" });
  bar.stop();
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const json = {
    split,
    seed,
    reference_convention: convention,
    annotation: path.resolve(values.annotation!),
    baselines: results.map(({ name, note, result }) => ({ name, note, ...resultJson(result) })),
  };
  fs.writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  console.log(metricsTable(results));
  for (const { name, note } of results) if (note) console.log(`\n${name}: ${note}`);
  console.log(
    `\n${split} split, reference convention ${convention}; wrote ${out} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

runCli(main);
