/**
 * The Open-i report table (indiana_reports.csv: uid, MeSH, Problems, image, indication, comparison, findings,
 * impression), all 3,851 IU-Xray reports with their sections. Pure: no Node imports; reading the file lives in
 * iu-xray-dataset.ts.
 */
import { parseCsv, rowsByUid } from "./csv";

export interface OpenIReport {
  uid: number;
  indication: string;
  comparison: string;
  findings: string;
  impression: string;
}

export const OPEN_I_REPORT_COLUMNS = [
  "uid",
  "MeSH",
  "Problems",
  "image",
  "indication",
  "comparison",
  "findings",
  "impression",
] as const;

/** Parse indiana_reports.csv into rows keyed by uid. `source` names the input in errors. */
export function parseOpenIReportsCsv(text: string, source: string): Map<number, OpenIReport> {
  const rows = parseCsv(text, source);
  const header = rows[0]?.map((name) => name.trim());
  const column = new Map(header?.map((name, index) => [name, index]));
  const missing = OPEN_I_REPORT_COLUMNS.filter((name) => !column.has(name));
  if (!header || missing.length > 0) {
    throw new Error(`${source}: not an Open-i report table (missing column ${missing.join(", ")})`);
  }
  const at = (row: string[], name: (typeof OPEN_I_REPORT_COLUMNS)[number]) => row[column.get(name)!] ?? "";
  return rowsByUid(rows, source, header.length, column.get("uid")!, (row, uid) => ({
    uid,
    indication: at(row, "indication"),
    comparison: at(row, "comparison"),
    findings: at(row, "findings"),
    impression: at(row, "impression"),
  }));
}
