/**
 * The clinical labeler as a line-oriented service, for training code that needs labels of generated text (the
 * self-critical stage of `training/` rewards clinical agreement): it reads JSON lines `{"report": "..."}` on stdin
 * and writes one JSON line per input, `{"labels": [14 values: 1, 0, -1 or null]}` in CHEXPERT_OBSERVATIONS order,
 * or `{"error": "..."}` for a line it cannot read. Output is flushed line by line so a caller can work in batches.
 *
 *   npm run -s label-stream < reports.jsonl
 */
import readline from "node:readline";
import { labelReport } from "../services/language/clinical-labeler";

function answer(line: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return JSON.stringify({ error: "input line is not JSON" });
  }
  const report = (parsed as { report?: unknown } | null)?.report;
  if (typeof report !== "string") return JSON.stringify({ error: 'input line has no string "report"' });
  return JSON.stringify({ labels: labelReport(report).labels });
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
lines.on("line", (line) => {
  if (line.trim() === "") return;
  process.stdout.write(`${answer(line)}\n`);
});
