import { readFile } from "node:fs/promises";
import { z } from "zod";
import { CHEXPERT_OBSERVATIONS, type LabelValue, type ObservationName } from "../../src-shared/observations";
import { parseCsv } from "./csv";
import { SynthInputError } from "./errors";
import { defaultIuSourcePaths, type IuSourcePaths } from "./paths";

/** The 14 CheXpert observations, in CheXpert order (the column order of report-labels.csv). */
export const OBSERVATIONS = CHEXPERT_OBSERVATIONS;
export type Observation = ObservationName;
export type { LabelValue };
export type Split = "train" | "val" | "test";

export interface IuStudy {
  id: string;
  /** The number after "CXR" in the id; the key of report-labels.csv. */
  uid: number;
  split: Split;
  report: string;
  imagePaths: [string, string];
  labels: Record<Observation, LabelValue>;
}

const annotationEntrySchema = z.object({
  id: z.string().regex(/^CXR\d+_/, "id must look like CXR<number>_..."),
  report: z.string(),
  image_path: z.tuple([z.string(), z.string()]),
  split: z.enum(["train", "val", "test"]),
});
export type AnnotationEntry = z.infer<typeof annotationEntrySchema>;

const annotationSchema = z.object({
  train: z.array(annotationEntrySchema),
  val: z.array(annotationEntrySchema),
  test: z.array(annotationEntrySchema),
});
export type Annotation = z.infer<typeof annotationSchema>;

export function uidOfStudyId(id: string): number {
  const match = /^CXR(\d+)_/.exec(id);
  if (!match) throw new SynthInputError(`study id "${id}" does not start with CXR<number>_`);
  return Number(match[1]);
}

export async function readAnnotation(annotationPath: string): Promise<Annotation> {
  let raw: string;
  try {
    raw = await readFile(annotationPath, "utf8");
  } catch (error) {
    throw new SynthInputError(`cannot read the IU-Xray annotation ${annotationPath}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new SynthInputError(`${annotationPath} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = annotationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SynthInputError(
      `${annotationPath} is not an R2Gen annotation: ${issue.path.join(".")}: ${issue.message}`,
    );
  }
  for (const split of ["train", "val", "test"] as const) {
    for (const entry of parsed.data[split]) {
      if (entry.split !== split) {
        throw new SynthInputError(
          `${annotationPath}: study ${entry.id} is listed under "${split}" but says split "${entry.split}"`,
        );
      }
    }
  }
  return parsed.data;
}

const LABEL_CELL: Record<string, LabelValue> = { "": null, "1": 1, "0": 0, "-1": -1, "1.0": 1, "0.0": 0, "-1.0": -1 };

export async function readReportLabels(labelsPath: string): Promise<Map<number, Record<Observation, LabelValue>>> {
  let raw: string;
  try {
    raw = await readFile(labelsPath, "utf8");
  } catch (error) {
    throw new SynthInputError(`cannot read the IU-Xray labels ${labelsPath}: ${(error as Error).message}`);
  }
  const rows = parseCsv(raw, labelsPath);
  const header = rows[0];
  const expected = ["uid", "Reports", ...OBSERVATIONS];
  if (!header || header.fields.length !== expected.length || header.fields.some((f, i) => f.trim() !== expected[i])) {
    throw new SynthInputError(
      `${labelsPath}: header must be "${expected.join(",")}", got "${header?.fields.join(",") ?? ""}"`,
    );
  }
  const labels = new Map<number, Record<Observation, LabelValue>>();
  for (const row of rows.slice(1)) {
    if (row.fields.length !== expected.length) {
      throw new SynthInputError(
        `${labelsPath}: line ${row.line}: expected ${expected.length} fields, got ${row.fields.length}`,
      );
    }
    const uidText = row.fields[0]!.trim();
    if (!/^\d+$/.test(uidText))
      throw new SynthInputError(`${labelsPath}: line ${row.line}: uid "${uidText}" is not a number`);
    const uid = Number(uidText);
    if (labels.has(uid)) throw new SynthInputError(`${labelsPath}: line ${row.line}: uid ${uid} appears twice`);
    const record = {} as Record<Observation, LabelValue>;
    OBSERVATIONS.forEach((name, i) => {
      const cell = row.fields[i + 2]!.trim();
      const value = LABEL_CELL[cell];
      if (value === undefined) {
        throw new SynthInputError(
          `${labelsPath}: line ${row.line}: "${name}" is "${cell}", expected 1, 0, -1 or empty`,
        );
      }
      record[name] = value;
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
  const seen = new Set<string>();
  for (const split of ["train", "val", "test"] as const) {
    for (const entry of annotation[split]) {
      if (seen.has(entry.id)) throw new SynthInputError(`${paths.annotationPath}: study ${entry.id} appears twice`);
      seen.add(entry.id);
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
        imagePaths: entry.image_path,
        labels: row,
      });
    }
  }
  return { paths, annotation, studies };
}
