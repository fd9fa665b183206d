import { readFile } from "node:fs/promises";
import {
  type Annotation,
  parseAnnotation,
  parseReportLabelsCsv,
  SPLITS,
  type Split,
  uidOfStudyId,
} from "../../src-main/services/language/iu-xray-data";
import { CHEXPERT_OBSERVATIONS, type LabelValue, type ObservationName } from "../../src-shared/observations";
import { SynthInputError } from "./errors";
import { defaultIuSourcePaths, type IuSourcePaths } from "./paths";

/** The 14 CheXpert observations, in CheXpert order (the column order of report-labels.csv). */
export const OBSERVATIONS = CHEXPERT_OBSERVATIONS;
export type Observation = ObservationName;
export type { Annotation, LabelValue, Split };

export interface IuStudy {
  id: string;
  /** The number after "CXR" in the id; the key of report-labels.csv. */
  uid: number;
  split: Split;
  report: string;
  imagePaths: [string, string];
  labels: Record<Observation, LabelValue>;
}

/** Runs one of the language toolkit's parsers, reporting its error (which names the input) as a SynthInputError. */
function asInputError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new SynthInputError((error as Error).message);
  }
}

async function readText(filePath: string, what: string): Promise<string> {
  try {
    return await readFile(filePath, "utf8");
  } catch (error) {
    throw new SynthInputError(`cannot read the IU-Xray ${what} ${filePath}: ${(error as Error).message}`);
  }
}

/**
 * The R2Gen annotation, validated by the language toolkit (schema, split consistency, unique ids), plus what the
 * generator needs: ids of the form CXR<number>_... and exactly two views (frontal, lateral) per study.
 */
export async function readAnnotation(annotationPath: string): Promise<Annotation> {
  const raw = await readText(annotationPath, "annotation");
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new SynthInputError(`${annotationPath} is not valid JSON: ${(error as Error).message}`);
  }
  const annotation = asInputError(() => parseAnnotation(json, annotationPath));
  for (const split of SPLITS) {
    for (const entry of annotation[split]) {
      if (!/^CXR\d+_/.test(entry.id))
        throw new SynthInputError(`${annotationPath}: study id "${entry.id}" does not look like CXR<number>_...`);
      if (entry.image_path.length !== 2) {
        throw new SynthInputError(
          `${annotationPath}: study ${entry.id} has ${entry.image_path.length} images, expected 2 (frontal, lateral)`,
        );
      }
    }
  }
  return annotation;
}

/** report-labels.csv, parsed by the language toolkit, as a record of labels per uid. */
export async function readReportLabels(labelsPath: string): Promise<Map<number, Record<Observation, LabelValue>>> {
  const raw = await readText(labelsPath, "labels");
  const rows = asInputError(() => parseReportLabelsCsv(raw, labelsPath));
  const labels = new Map<number, Record<Observation, LabelValue>>();
  for (const [uid, row] of rows) {
    const record = {} as Record<Observation, LabelValue>;
    OBSERVATIONS.forEach((name, i) => {
      record[name] = row.labels[i]!;
    });
    labels.set(uid, record);
  }
  return labels;
}

export interface LoadedIuData {
  paths: IuSourcePaths;
  annotation: Annotation;
  studies: IuStudy[];
}

/** Annotation joined with the labels; every annotated study must have a label row. */
export async function loadIuStudies(paths: IuSourcePaths = defaultIuSourcePaths()): Promise<LoadedIuData> {
  const [annotation, labels] = await Promise.all([
    readAnnotation(paths.annotationPath),
    readReportLabels(paths.labelsPath),
  ]);
  const studies: IuStudy[] = [];
  for (const split of SPLITS) {
    for (const entry of annotation[split]) {
      const uid = uidOfStudyId(entry.id);
      const row = labels.get(uid);
      if (!row)
        throw new SynthInputError(
          `${paths.labelsPath} has no row for uid ${uid} (study ${entry.id} in ${paths.annotationPath})`,
        );
      studies.push({
        id: entry.id,
        uid,
        split,
        report: entry.report,
        imagePaths: [entry.image_path[0]!, entry.image_path[1]!],
        labels: row,
      });
    }
  }
  return { paths, annotation, studies };
}
