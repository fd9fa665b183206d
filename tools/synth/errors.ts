import { UserError } from "../../src-main/cli/language-cli-support";
import { SPLITS, type Split } from "../../src-main/services/language/iu-xray-data";

/**
 * A problem with the generator's input (files, arguments): a UserError, so the command-line tools' runCli reports it
 * as one line naming the input, with no stack.
 */
export class SynthInputError extends UserError {
  override name = "SynthInputError";
}

/** Parses a positive integer option, naming the option in the error. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new SynthInputError(`--${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new SynthInputError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The options that pick studies, `--ids a,b` (read with listOption) and `--split` (splitOption), for parseArgs. */
export const STUDY_SELECTION_OPTIONS = { ids: { type: "string" }, split: { type: "string" } } as const;

/** A comma-separated list option (`--ids a,b`): its trimmed, non-empty items; undefined when the option is absent. */
export function listOption(value: string | undefined): string[] | undefined {
  return value
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The `--split` option: train, val or test; undefined when the option is absent. */
export function splitOption(value: string | undefined): Split | undefined {
  if (value === undefined) return undefined;
  if (!(SPLITS as readonly string[]).includes(value)) {
    throw new SynthInputError(`--split must be train, val or test, got "${value}"`);
  }
  return value as Split;
}
