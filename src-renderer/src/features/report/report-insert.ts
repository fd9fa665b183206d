/**
 * How another part of the window puts text into the report at its cursor ("insert measurement", issue 17.2):
 * the report pane registers the one inserter while a report is open and editable.
 */
type Inserter = (text: string) => "inserted" | "read-only";

let inserter: Inserter | null = null;

export function setReportInserter(fn: Inserter | null): void {
  inserter = fn;
}

/** Inserts the text at the report's cursor (its last focused section); says why not when it cannot. */
export function insertIntoReport(text: string): "inserted" | "read-only" | "no-report" {
  return inserter ? inserter(text) : "no-report";
}
