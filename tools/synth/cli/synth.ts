/**
 * Render the synthetic IU-Xray radiographs (a simulation: frontal + lateral per study, drawn from the real
 * reports' findings) in the R2Gen layout.
 *
 *   npm run synth -- [--out data/iu_xray_synth] [--annotation <annotation.json>] [--labels <report-labels.csv>]
 *     [--size 512] [--workers 2] [--ids CXR1_1_IM-0001,...] [--split train|val|test] [--limit N]
 *
 * The annotation and labels default to resources/iu_xray when present, else ../shared/data/iu_xray.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { runCli } from "../../../src-main/cli/language-cli-support";
import { intOption, listOption, STUDY_SELECTION_OPTIONS, splitOption } from "../errors";
import { generateDataset } from "../generate";
import { DEFAULT_SYNTH_OUT, iuSourceOptions, iuSourcesFrom } from "../paths";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: DEFAULT_SYNTH_OUT },
      ...iuSourceOptions(),
      ...STUDY_SELECTION_OPTIONS,
      size: { type: "string" },
      workers: { type: "string" },
      limit: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "npm run synth -- [--out dir] [--annotation file] [--labels file] [--size 512] [--workers 2] [--ids a,b] [--split train|val|test] [--limit N]",
    );
    return;
  }
  const size = intOption("size", values.size, 64, 2048) ?? 512;
  const workers = intOption("workers", values.workers, 1, 16) ?? 2;
  const limit = intOption("limit", values.limit, 1, 1_000_000);
  const split = splitOption(values.split);
  const ids = listOption(values.ids);
  const outDir = path.resolve(values.out);
  const bar = new cliProgress.SingleBar(
    { format: "rendering |{bar}| {value}/{total} studies | {eta_formatted} left | {duration_formatted}" },
    cliProgress.Presets.shades_classic,
  );
  const result = await generateDataset({
    source: iuSourcesFrom(values),
    outDir,
    size,
    workers,
    ...(ids ? { ids } : {}),
    ...(split ? { split } : {}),
    ...(limit !== undefined ? { limit } : {}),
    onStart: (total) => bar.start(total, 0),
    onProgress: (done) => bar.update(done),
  }).finally(() => bar.stop());
  console.log(
    `rendered ${result.studies} studies (${result.images} images, ${size}x${size}) in ${result.seconds.toFixed(1)} s with ${workers} worker(s) -> ${outDir}`,
  );
  console.log("These images are a simulation rendered from report findings, not real radiographs.");
}

runCli(main);
