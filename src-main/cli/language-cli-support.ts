/** Shared helpers for the report-language command-line tools (eval, manifest, baselines, bench:labeler). */

/** An error caused by the user's input: printed as one line, no stack trace, exit code 1. */
export class UserError extends Error {}

/** Run a CLI main function: user errors print `error: <message>` and exit 1; other errors print their stack. */
export function runCli(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof UserError || (error instanceof Error && error.name === "DatasetInputError")) {
      console.error(`error: ${error.message}`);
    } else if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`error: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  });
}

/** Format a number with fixed decimals for Markdown tables. */
export function fmt(value: number, digits = 4): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/** A Markdown table from a header row and body rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
