/** Shared helpers for the report-language command-line tools (eval, manifest, baselines, bench:labeler). */
import {
  DEFAULT_ANNOTATION_PATH,
  DEFAULT_LABELS_PATH,
  DEFAULT_OPEN_I_REPORTS_PATH,
} from "../services/language/iu-xray-dataset";

/** The dataset-file options of the language CLIs, each defaulting to the project's copy in resources/iu_xray. */
const DATASET_FILE_OPTIONS = {
  annotation: { type: "string", default: DEFAULT_ANNOTATION_PATH },
  labels: { type: "string", default: DEFAULT_LABELS_PATH },
  reports: { type: "string", default: DEFAULT_OPEN_I_REPORTS_PATH },
} as const;

/** The named dataset-file options (`--annotation`, `--labels`, `--reports`) for a `parseArgs` options object. */
export function datasetFileOptions<K extends keyof typeof DATASET_FILE_OPTIONS>(
  ...names: K[]
): Pick<typeof DATASET_FILE_OPTIONS, K> {
  const picked = {} as Pick<typeof DATASET_FILE_OPTIONS, K>;
  for (const name of names) picked[name] = DATASET_FILE_OPTIONS[name];
  return picked;
}

/** An error caused by the user's input: printed as one line, no stack trace, exit code 1. */
export class UserError extends Error {}

/** A whole-number option of at least `min` (`--runs 20`); anything else is a UserError naming the flag. */
export function integerOption(text: string | undefined, flag: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${flag} must be an integer >= ${min}, got "${text}"`);
  return n;
}

/** The options of a CLI that runs the inference engine: --pack DIR and --threads N (read with threadsOption). */
export const ENGINE_CLI_OPTIONS = { pack: { type: "string" }, threads: { type: "string" } } as const;

/** --threads of a CLI that runs the inference engine: an integer from 1 to 64; absent: the engine's default. */
export function threadsOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64)
    throw new UserError(`--threads must be an integer from 1 to 64, got "${text}"`);
  return threads;
}

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
