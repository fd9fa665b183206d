/**
 * A strict RFC 4180 CSV parser (quoted fields, "" escapes, CRLF or LF line ends, embedded newlines in quotes).
 * Pure: no Node imports. Throws on malformed quoting with the line number (for a quote never closed, the line where
 * it opens); with `source`, the message starts with it (`<source>: CSV line …`).
 */
export function parseCsv(text: string, source?: string): string[][] {
  if (source === undefined) return parseCsvText(text);
  try {
    return parseCsvText(text);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
}

/**
 * A uid-keyed table's data rows (`rows[0]` is the header) into a map: blank rows skipped, every row with `columns`
 * cells and a positive integer uid in `uidColumn`, each uid once. `build` gets the row, its uid and its place in
 * errors (`<source> row <n>`).
 */
export function rowsByUid<T>(
  rows: readonly string[][],
  source: string,
  columns: number,
  uidColumn: number,
  build: (row: string[], uid: number, where: string) => T,
): Map<number, T> {
  const byUid = new Map<number, T>();
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length === 1 && row[0] === "") continue;
    const where = `${source} row ${r + 1}`;
    if (row.length !== columns) throw new Error(`${where}: ${row.length} columns, expected ${columns}`);
    const uidText = row[uidColumn]!.trim();
    const uid = /^\d+$/.test(uidText) ? Number(uidText) : 0;
    if (uid <= 0) throw new Error(`${where}: uid "${row[uidColumn]}" is not a positive integer`);
    if (byUid.has(uid)) throw new Error(`${where}: uid ${uid} appears twice`);
    byUid.set(uid, build(row, uid, where));
  }
  return byUid;
}

function parseCsvText(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let inQuotes = false;
  let line = 1;
  let quoteLine = 1;
  let fieldWasQuoted = false;
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"') {
      if (field.length > 0 || fieldWasQuoted) throw new Error(`CSV line ${line}: a quote inside an unquoted field`);
      inQuotes = true;
      quoteLine = line;
      fieldWasQuoted = true;
    } else if (ch === ",") {
      row.push(field);
      field = "";
      fieldWasQuoted = false;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && body[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      fieldWasQuoted = false;
      line++;
    } else {
      if (fieldWasQuoted) throw new Error(`CSV line ${line}: text after a closing quote`);
      field += ch;
    }
  }
  if (inQuotes) throw new Error(`CSV line ${quoteLine}: a quoted field is never closed`);
  if (field.length > 0 || fieldWasQuoted || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
