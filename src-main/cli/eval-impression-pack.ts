/**
 * `npm run eval -- --section impression --pack DIR --split test [--out OUT.json]`: the impression drafter writes
 * an impression for every study of the split from its reference findings (Open-i table), then the toolkit scores
 * the model's raw output and the output after the consistency step.
 */
import fs from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import { appRoot } from "../paths";
import { draftImpression, loadImpressionPack } from "../services/impression";
import { evaluateImpressions } from "../services/language/evaluate-impressions";
import type { ImpressionDataset } from "../services/language/impression-dataset";
import type { Split } from "../services/language/iu-xray-data";
import type { ReferenceConvention } from "../services/language/references";
import { contradictionLine, impressionJson, metricsTable } from "./eval";
import { asUserError, percentile } from "./inference-cli-support";

export async function evaluateImpressionPack(options: {
  pack: string;
  split: Split;
  dataset: ImpressionDataset;
  convention: ReferenceConvention;
  out?: string;
  started: number;
}): Promise<void> {
  const { split, dataset, convention } = options;
  const pack = await loadImpressionPack(options.pack, { intraOpNumThreads: 1, interOpNumThreads: 1 }).catch(
    (error: unknown) => {
      throw asUserError(error);
    },
  );
  const examples = dataset.examples.filter((e) => e.split === split);
  const raw: { id: string; report: string }[] = [];
  const consistent: { id: string; report: string }[] = [];
  const ms: number[] = [];
  let changed = 0;
  const bar = new cliProgress.SingleBar(
    { format: "drafting [{bar}] {value}/{total}" },
    cliProgress.Presets.shades_classic,
  );
  bar.start(examples.length, 0);
  try {
    for (const example of examples) {
      const draft = await draftImpression(pack, example.findings);
      raw.push({ id: example.id, report: draft.modelRaw });
      consistent.push({ id: example.id, report: draft.raw });
      if (draft.raw !== draft.modelRaw) changed++;
      ms.push(draft.ms);
      bar.increment();
    }
  } finally {
    bar.stop();
    await pack.close();
  }
  const name = `${pack.manifest.name} ${pack.manifest.version}`;
  const results = [
    { name: `${name} (model output)`, result: evaluateImpressions(raw, dataset, split, convention) },
    { name: `${name} + consistency step`, result: evaluateImpressions(consistent, dataset, split, convention) },
  ];
  const out = options.out ?? path.join(appRoot(), "data", "impression", `eval-${pack.manifest.name}-${split}.json`);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const predictionsPath = `${out.replace(/\.json$/, "")}.predictions.jsonl`;
  fs.writeFileSync(
    predictionsPath,
    `${raw.map((r, i) => JSON.stringify({ id: r.id, model: r.report, report: consistent[i]!.report })).join("\n")}\n`,
  );
  const perStudy = { p50: percentile(ms, 50), p95: percentile(ms, 95) };
  fs.writeFileSync(
    out,
    `${JSON.stringify(
      {
        pack: { dir: pack.dir, name: pack.manifest.name, version: pack.manifest.version },
        split,
        model_output: impressionJson(results[0]!.result),
        with_consistency: impressionJson(results[1]!.result, { changed_by_consistency_step: changed }),
        per_study_ms: perStudy,
        predictions: predictionsPath,
      },
      null,
      2,
    )}\n`,
  );
  console.log(metricsTable(results));
  for (const { name: n, result } of results) console.log(contradictionLine(n, result));
  console.log(
    `\n${examples.length} ${split} impressions drafted (consistency step changed ${changed}); per study p50 ${perStudy.p50.toFixed(0)} ms, p95 ${perStudy.p95.toFixed(0)} ms; reference convention ${convention}; wrote ${out} in ${((performance.now() - options.started) / 1000).toFixed(0)} s`,
  );
}
