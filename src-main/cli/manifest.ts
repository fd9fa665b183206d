/**
 * Write the shared dataset manifest (radiology-draft/dataset-manifest@1) that Python training reads.
 *
 *   npm run manifest -- --root <dataset dir> [--annotation <path>] [--labels <csv>] --out <manifest.json>
 *     [--allow-missing-images]
 *
 * <dataset dir> is the R2Gen layout: images/<id>/0.png (frontal) and 1.png (lateral). The annotation and labels
 * default to the project's copies in resources/iu_xray. Missing images are an error (listed) unless
 * --allow-missing-images, which writes them to the manifest's `missing_images`.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { createManifest, loadIuXrayDataset, writeManifest } from "../services/language/iu-xray-dataset";
import { datasetFileOptions, runCli, UserError } from "./language-cli-support";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: "string" },
      ...datasetFileOptions("annotation", "labels"),
      out: { type: "string" },
      "allow-missing-images": { type: "boolean", default: false },
    },
  });
  if (!values.root) throw new UserError("--root <dataset dir> is required");
  if (!values.out) throw new UserError("--out <manifest.json> is required");
  const dataset = loadIuXrayDataset({
    root: values.root,
    annotationPath: values.annotation,
    labelsPath: values.labels,
  });
  const studies = dataset.annotation.train.length + dataset.annotation.val.length + dataset.annotation.test.length;
  if (dataset.missingImages.length > 0) {
    const { train, val, test } = dataset.studiesMissingImages;
    const summary =
      `${dataset.missingImages.length} of ${studies * 2} images are missing under ${path.join(dataset.root, "images")} ` +
      `(studies with a missing image: train ${train}, val ${val}, test ${test}); first: ${dataset.missingImages.slice(0, 5).join(", ")}`;
    if (!values["allow-missing-images"])
      throw new UserError(`${summary}. Pass --allow-missing-images to write the manifest anyway.`);
    console.warn(`warning: ${summary}; listed in the manifest's missing_images`);
  }
  const manifest = createManifest(dataset);
  writeManifest(manifest, values.out);
  console.log(
    `wrote ${values.out}: ${manifest.studies.length} studies (train ${dataset.annotation.train.length}, val ${dataset.annotation.val.length}, test ${dataset.annotation.test.length}), vocabulary ${manifest.tokenizer.idx2token.length - 1} tokens, ${dataset.missingImages.length} missing images, ${dataset.drawnFindings ? `drawn findings from ${path.join(dataset.root, "findings.json")}` : "no findings.json (no drawn findings: not a tools/synth dataset)"}`,
  );
}

runCli(main);
