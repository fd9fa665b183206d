/**
 * File access for the IU-Xray dataset (R2Gen layout: annotation.json + images/<id>/0.png, 1.png) and the labels
 * CSV: loading with clear errors, image checks, and writing the shared manifest. Node only.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { appRoot } from "../../paths";
import {
  buildDatasetManifest,
  type DatasetManifest,
  type DrawnFindingsInput,
  manifestImagePath,
} from "./dataset-manifest";
import { buildImpressionDataset, type ImpressionDataset } from "./impression-dataset";
import {
  type Annotation,
  type LabelledReport,
  parseAnnotation,
  parseReportLabelsCsv,
  SPLITS,
  type Split,
} from "./iu-xray-data";
import { type OpenIReport, parseOpenIReportsCsv } from "./open-i-reports";

/** An error in a dataset input (missing file, malformed JSON/CSV, missing images): safe to show as one line. */
export class DatasetInputError extends Error {
  override name = "DatasetInputError";
}

/** The project's bundled copies (resources/iu_xray), the defaults for every tool. */
export const DEFAULT_ANNOTATION_PATH = path.join(appRoot(), "resources", "iu_xray", "annotation.json");
export const DEFAULT_LABELS_PATH = path.join(appRoot(), "resources", "iu_xray", "report-labels.csv");
export const DEFAULT_OPEN_I_REPORTS_PATH = path.join(appRoot(), "resources", "iu_xray", "indiana_reports.csv");

/** Run a pure parser or builder over read input: its error becomes a DatasetInputError (`prefix` first, if given). */
function asInputError<T>(build: () => T, prefix = ""): T {
  try {
    return build();
  } catch (error) {
    throw new DatasetInputError(`${prefix}${(error as Error).message}`);
  }
}

function readText(filePath: string, what: string): string {
  if (!fs.existsSync(filePath)) throw new DatasetInputError(`${what} not found: ${filePath}`);
  if (!fs.statSync(filePath).isFile()) throw new DatasetInputError(`${what} is not a file: ${filePath}`);
  return fs.readFileSync(filePath, "utf8");
}

export function loadAnnotationFile(filePath: string = DEFAULT_ANNOTATION_PATH): Annotation {
  const text = readText(filePath, "annotation file");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DatasetInputError(`${filePath}: invalid JSON (${(error as Error).message})`);
  }
  return asInputError(() => parseAnnotation(json, filePath));
}

export function loadReportLabelsFile(filePath: string = DEFAULT_LABELS_PATH): Map<number, LabelledReport> {
  const text = readText(filePath, "labels CSV");
  return asInputError(() => parseReportLabelsCsv(text, filePath));
}

/** The Open-i report table (indiana_reports.csv), keyed by uid. */
export function loadOpenIReportsFile(filePath: string = DEFAULT_OPEN_I_REPORTS_PATH): Map<number, OpenIReport> {
  const text = readText(filePath, "Open-i report table");
  return asInputError(() => parseOpenIReportsCsv(text, filePath));
}

/** The findings → impression dataset from the report table and the R2Gen annotation (which decides val/test). */
export function loadImpressionDataset(
  reportsPath: string = DEFAULT_OPEN_I_REPORTS_PATH,
  annotationPath: string = DEFAULT_ANNOTATION_PATH,
): ImpressionDataset {
  const annotation = loadAnnotationFile(annotationPath);
  const reports = loadOpenIReportsFile(reportsPath);
  return asInputError(() => buildImpressionDataset(annotation, reports), `${reportsPath}: `);
}

/** tools/synth's `<root>/findings.json` (radiology-draft/synthetic-findings@1). */
export const DRAWN_FINDINGS_FILE = "findings.json";
const DRAWN_FINDINGS_FORMAT = "radiology-draft/synthetic-findings@1";

const drawnFindingsFileSchema = z.object({
  format: z.literal(DRAWN_FINDINGS_FORMAT),
  simulation: z.literal(true),
  generatorVersion: z.string(),
  studies: z.record(
    z.string().min(1),
    z.array(
      z.strictObject({
        kind: z.string().regex(/^[a-z][a-z-]*$/),
        certainty: z.enum(["positive", "uncertain"]),
        side: z.enum(["left", "right", "bilateral"]).optional(),
        severity: z.enum(["mild", "moderate", "marked"]).optional(),
      }),
    ),
  ),
});

/** The renderer's drawn findings under a dataset root, or undefined when the dataset has none (real images). */
export function loadDrawnFindingsFile(root: string): DrawnFindingsInput | undefined {
  const filePath = path.join(root, DRAWN_FINDINGS_FILE);
  if (!fs.existsSync(filePath)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readText(filePath, "drawn findings file"));
  } catch (error) {
    if (error instanceof DatasetInputError) throw error;
    throw new DatasetInputError(`${filePath}: invalid JSON (${(error as Error).message})`);
  }
  const parsed = drawnFindingsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DatasetInputError(
      `${filePath}: not a ${DRAWN_FINDINGS_FORMAT} file (${issue.path.join(".") || "top level"}: ${issue.message})`,
    );
  }
  return {
    byId: new Map(Object.entries(parsed.data.studies)),
    format: parsed.data.format,
    generatorVersion: parsed.data.generatorVersion,
  };
}

export interface LoadDatasetOptions {
  /** Dataset folder (R2Gen layout); images are looked up under <root>/images. */
  root: string;
  annotationPath?: string;
  labelsPath?: string;
}

export interface IuXrayDataset {
  root: string;
  annotation: Annotation;
  labelsByUid: Map<number, LabelledReport>;
  /** Relative image paths (images/<id>/n.png) that do not exist under root. */
  missingImages: string[];
  /** Studies with at least one missing image, per split. */
  studiesMissingImages: Record<Split, number>;
  /** The renderer's findings.json under root, when the dataset is synthetic. */
  drawnFindings?: DrawnFindingsInput;
}

/** Load the annotation and labels and check every image under root. */
export function loadIuXrayDataset(options: LoadDatasetOptions): IuXrayDataset {
  const root = path.resolve(options.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new DatasetInputError(`dataset root is not a folder: ${root}`);
  }
  const annotation = loadAnnotationFile(options.annotationPath ?? DEFAULT_ANNOTATION_PATH);
  const labelsByUid = loadReportLabelsFile(options.labelsPath ?? DEFAULT_LABELS_PATH);
  const missingImages: string[] = [];
  const studiesMissingImages: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const split of SPLITS) {
    for (const study of annotation[split]) {
      let missing = false;
      for (const image of study.image_path) {
        const relative = manifestImagePath(image);
        if (!fs.existsSync(path.join(root, relative))) {
          missingImages.push(relative);
          missing = true;
        }
      }
      if (missing) studiesMissingImages[split]++;
    }
  }
  const drawnFindings = loadDrawnFindingsFile(root);
  return {
    root,
    annotation,
    labelsByUid,
    missingImages,
    studiesMissingImages,
    ...(drawnFindings ? { drawnFindings } : {}),
  };
}

/** Build the shared manifest for a loaded dataset (missing images listed in `missing_images`). */
export function createManifest(dataset: IuXrayDataset, created = new Date().toISOString()): DatasetManifest {
  return asInputError(() =>
    buildDatasetManifest({
      annotation: dataset.annotation,
      labelsByUid: dataset.labelsByUid,
      root: dataset.root,
      created,
      missingImages: dataset.missingImages,
      ...(dataset.drawnFindings ? { drawnFindings: dataset.drawnFindings } : {}),
    }),
  );
}

/** Write a manifest as JSON (creating the folder). */
export function writeManifest(manifest: DatasetManifest, outPath: string): void {
  fs.mkdirSync(path.dirname(path.resolve(outPath)), { recursive: true });
  fs.writeFileSync(outPath, `${JSON.stringify(manifest)}\n`);
}
