/**
 * Write the findings → impression manifest (radiology-draft/impression-manifest@1) that
 * training/impression.py reads.
 *
 *   npm run manifest:impression -- [--reports resources/iu_xray/indiana_reports.csv]
 *     [--annotation resources/iu_xray/annotation.json] [--out data/impression/manifest.json]
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { appRoot } from "../paths";
import { buildImpressionManifest } from "../services/language/impression-dataset";
import { loadImpressionDataset } from "../services/language/iu-xray-dataset";
import { datasetFileOptions, runCli } from "./language-cli-support";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...datasetFileOptions("reports", "annotation"),
      out: { type: "string", default: path.join(appRoot(), "data", "impression", "manifest.json") },
    },
  });
  const dataset = loadImpressionDataset(values.reports!, values.annotation!);
  const manifest = buildImpressionManifest(
    dataset,
    { reports: path.resolve(values.reports!), annotation: path.resolve(values.annotation!) },
    new Date().toISOString(),
  );
  fs.mkdirSync(path.dirname(path.resolve(values.out!)), { recursive: true });
  fs.writeFileSync(values.out!, `${JSON.stringify(manifest)}\n`);
  const c = manifest.counts;
  const line = (name: string, s: (typeof c)["train"]) =>
    `  ${name.padEnd(12)} ${String(s.reports).padStart(5)} reports, ${String(s.kept).padStart(5)} kept, ${s.empty_findings} empty findings, ${s.empty_impression} empty impression`;
  console.log(
    [
      `wrote ${values.out}: ${manifest.examples.length} examples, vocabulary ${manifest.tokenizer.idx2token.length - 1} tokens`,
      line("train", c.train),
      line(" r2gen train", c.r2gen_train),
      line(" outside", c.outside),
      line("val", c.val),
      line("test", c.test),
    ].join("\n"),
  );
}

runCli(main);
