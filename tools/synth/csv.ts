import { SynthInputError } from "./errors";

/** Minimal RFC 4180 CSV parser: quoted fields, doubled quotes, commas and newlines inside quotes, CRLF or LF. */
export interface CsvRow {
  /** 1-based line number where the record starts (for error messages). */
  line: number;
  fields: string[];
}

export function parseCsv(text: string, sourceName: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = "";
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let atFieldStart = true;
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (input[i + 1] === '"') {
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
      if (!atFieldStart) throw new SynthInputError(`${sourceName}: line ${line}: a quote inside an unquoted field`);
      inQuotes = true;
      atFieldStart = false;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
      atFieldStart = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && input[i + 1] === "\n") i++;
      fields.push(field);
      if (!(fields.length === 1 && fields[0] === "")) rows.push({ line: recordLine, fields });
      fields = [];
      field = "";
      atFieldStart = true;
      line++;
      recordLine = line;
    } else {
      field += ch;
      atFieldStart = false;
    }
  }
  if (inQuotes) throw new SynthInputError(`${sourceName}: line ${recordLine}: unterminated quoted field`);
  if (field !== "" || fields.length > 0) {
    fields.push(field);
    rows.push({ line: recordLine, fields });
  }
  return rows;
}
