/**
 * Parsing and validation of the IU-Xray inputs (R2Gen annotation.json and the CheXpert labels CSV). Pure: no Node
 * imports; file reading lives in iu-xray-dataset.ts.
 */
import { z } from "zod";
import { parseCsv, rowsByUid } from "./csv";
import { CHEXPERT_OBSERVATIONS, type LabelValue, type LabelVector } from "./observations";

export const SPLITS = ["train", "val", "test"] as const;
export type Split = (typeof SPLITS)[number];

export interface AnnotationStudy {
  id: string;
  report: string;
  image_path: string[];
  split: Split;
}

export type Annotation = Record<Split, AnnotationStudy[]>;

const studySchema = z.object({
  id: z.string().min(1),
  report: z.string(),
  image_path: z.array(z.string().min(1)).min(1),
  split: z.enum(SPLITS),
});

const annotationSchema = z.object({
  train: z.array(studySchema),
  val: z.array(studySchema),
  test: z.array(studySchema),
});

/** Validate a parsed annotation.json (R2Gen layout). `source` names the input in errors. */
export function parseAnnotation(json: unknown, source: string): Annotation {
  const parsed = annotationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${source}: not an R2Gen annotation (${issue.path.join(".") || "root"}: ${issue.message})`);
  }
  const annotation = parsed.data;
  const seen = new Set<string>();
  for (const split of SPLITS) {
    for (const study of annotation[split]) {
      if (study.split !== split)
        throw new Error(`${source}: study ${study.id} is listed under "${split}" but says "${study.split}"`);
      if (seen.has(study.id)) throw new Error(`${source}: study id ${study.id} appears twice`);
      seen.add(study.id);
    }
  }
  return annotation;
}

/** The IU-Xray uid of a study id: the number after "CXR" (CXR2384_IM-0942 -> 2384). */
export function uidOfStudyId(id: string): number {
  const match = /^CXR(\d+)(?:_|$)/.exec(id);
  if (!match) throw new Error(`study id "${id}" does not start with CXR<number>`);
  return Number(match[1]);
}

export interface LabelledReport {
  uid: number;
  report: string;
  labels: LabelVector;
}

/**
 * The spellings a label cell may take (after trimming): CheXpert's 1 / 0 / -1, as integers or as the labeler's
 * floats, or blank for "not mentioned". Anything else ("1.00", "+1", "1e0", "-0", ...) is an input error rather
 * than a number to coerce.
 */
const LABEL_CELL: ReadonlyMap<string, LabelValue> = new Map<string, LabelValue>([
  ["", null],
  ["1", 1],
  ["0", 0],
  ["-1", -1],
  ["1.0", 1],
  ["0.0", 0],
  ["-1.0", -1],
]);

function parseLabelCell(cell: string, where: string): LabelValue {
  const value = LABEL_CELL.get(cell.trim());
  if (value === undefined) throw new Error(`${where}: label "${cell}" is not 1, 0, -1 or empty`);
  return value;
}

/**
 * Parse the report-labels CSV: header `uid,Reports,<14 CheXpert observations in order>`. Returns the rows keyed
 * by uid. `source` names the input in errors.
 */
export function parseReportLabelsCsv(text: string, source: string): Map<number, LabelledReport> {
  const rows = parseCsv(text, source);
  const header = rows[0];
  const expected = ["uid", "Reports", ...CHEXPERT_OBSERVATIONS];
  if (!header || header.length !== expected.length || header.some((name, i) => name.trim() !== expected[i])) {
    throw new Error(`${source}: header must be "${expected.join(",")}", got "${header?.join(",") ?? ""}"`);
  }
  return rowsByUid(rows, source, expected.length, 0, (row, uid, where) => ({
    uid,
    report: row[1]!,
    labels: row.slice(2).map((cell, i) => parseLabelCell(cell, `${where} (${CHEXPERT_OBSERVATIONS[i]})`)),
  }));
}
