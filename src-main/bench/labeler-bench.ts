/**
 * Agreement of the project's clinical labeler with the reference CheXpert labels (report-labels.csv), per
 * observation, four-way (positive / negative / uncertain / not mentioned), over every report of the CSV.
 * Measured on the raw report text and on the same reports after R2Gen cleaning (the text the metrics score).
 *
 *   npm run bench:labeler -- [--labels path] [--out data/labeler-bench.json] [--target 0.90]
 *
 * Exits with code 2 when an observation falls below the target.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { fmt, markdownTable, runCli, UserError } from "../cli/language-cli-support";
import { appRoot } from "../paths";
import { labelReport } from "../services/language/clinical-labeler";
import { DEFAULT_LABELS_PATH, loadReportLabelsFile } from "../services/language/iu-xray-dataset";
import { LABEL_KEYS, type LabelerAgreement, measureLabelerAgreement } from "../services/language/labeler-benchmark";
import type { LabelVector } from "../services/language/observations";
import { cleanReportIuXray } from "../services/language/r2gen-cleaning";

function confusionCell(entry: LabelerAgreement["perObservation"][number], key: (typeof LABEL_KEYS)[number]): string {
  const row = entry.confusion[key]!;
  return `${row[key]}/${LABEL_KEYS.reduce((total, k) => total + row[k]!, 0)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      labels: { type: "string", default: DEFAULT_LABELS_PATH },
      out: { type: "string", default: path.join(appRoot(), "data", "labeler-bench.json") },
      target: { type: "string", default: "0.90" },
    },
  });
  const target = Number(values.target);
  if (!(target >= 0 && target <= 1)) throw new UserError(`--target must be a number in [0, 1], got "${values.target}"`);
  const started = performance.now();
  const rows = [...loadReportLabelsFile(values.labels!).values()];
  const bar = new cliProgress.SingleBar(
    { format: "labeling [{bar}] {value}/{total} reports" },
    cliProgress.Presets.shades_classic,
  );
  bar.start(rows.length * 2, 0);
  let done = 0;
  const predict = (text: string): LabelVector => {
    done++;
    if (done % 200 === 0) bar.update(done);
    return labelReport(text).labels;
  };
  const raw = measureLabelerAgreement(
    rows.map((row) => ({ report: row.report, labels: row.labels })),
    predict,
  );
  const clean = measureLabelerAgreement(
    rows.map((row) => ({ report: cleanReportIuXray(row.report), labels: row.labels })),
    predict,
  );
  bar.update(rows.length * 2);
  bar.stop();
  const seconds = (performance.now() - started) / 1000;

  console.log(
    markdownTable(
      [
        "observation",
        "agreement (raw text)",
        "agreement (R2Gen-cleaned)",
        "pos agree/ref",
        "neg agree/ref",
        "unc agree/ref",
        "blank agree/ref",
      ],
      raw.perObservation.map((entry, index) => [
        entry.observation,
        fmt(entry.agreement),
        fmt(clean.perObservation[index]!.agreement),
        confusionCell(entry, "1"),
        confusionCell(entry, "0"),
        confusionCell(entry, "-1"),
        confusionCell(entry, "blank"),
      ]),
    ),
  );
  console.log(
    `\n${raw.reports} reports; minimum agreement ${fmt(raw.minimum)} (raw), ${fmt(clean.minimum)} (cleaned); ` +
      `all 14 equal in ${fmt(raw.exactMatch * 100, 1)}% (raw); ${seconds.toFixed(1)} s`,
  );
  fs.mkdirSync(path.dirname(values.out!), { recursive: true });
  fs.writeFileSync(
    values.out!,
    `${JSON.stringify({ labels: path.resolve(values.labels!), target, raw, clean }, null, 2)}\n`,
  );
  console.log(`wrote ${values.out}`);
  if (raw.minimum < target) {
    console.error(
      `below target ${target}: ${raw.perObservation
        .filter((e) => e.agreement < target)
        .map((e) => e.observation)
        .join(", ")}`,
    );
    process.exitCode = 2;
  }
}

runCli(main);
