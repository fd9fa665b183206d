import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root (this file lives in tools/synth/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const SHARED_IU_DIR = path.resolve(REPO_ROOT, "../shared/data/iu_xray");
export const BUNDLED_IU_DIR = path.resolve(REPO_ROOT, "resources/iu_xray");
export const DEFAULT_SYNTH_OUT = path.resolve(REPO_ROOT, "data/iu_xray_synth");
export const DEMO_STUDIES_DIR = path.resolve(REPO_ROOT, "resources/demo-studies");
export const FIXTURE_DIR = path.resolve(REPO_ROOT, "test/fixtures/synth");

export interface IuSourcePaths {
  annotationPath: string;
  labelsPath: string;
}

/**
 * The IU-Xray annotation and labels: the bundled copies in resources/iu_xray when both are there,
 * else the shared read-only data in ../shared/data/iu_xray.
 */
export function defaultIuSourcePaths(): IuSourcePaths {
  const bundled = {
    annotationPath: path.join(BUNDLED_IU_DIR, "annotation.json"),
    labelsPath: path.join(BUNDLED_IU_DIR, "report-labels.csv"),
  };
  if (existsSync(bundled.annotationPath) && existsSync(bundled.labelsPath)) return bundled;
  return {
    annotationPath: path.join(SHARED_IU_DIR, "annotation.json"),
    labelsPath: path.join(SHARED_IU_DIR, "report-labels.csv"),
  };
}

/** The CLIs' --annotation and --labels options, defaulting to the IU-Xray sources found here. */
export function iuSourceOptions() {
  const defaults = defaultIuSourcePaths();
  return {
    annotation: { type: "string", default: defaults.annotationPath },
    labels: { type: "string", default: defaults.labelsPath },
  } as const;
}

/** The IU-Xray sources a CLI was given (--annotation, --labels), as absolute paths. */
export function iuSourcesFrom(values: { annotation: string; labels: string }): IuSourcePaths {
  return { annotationPath: path.resolve(values.annotation), labelsPath: path.resolve(values.labels) };
}
