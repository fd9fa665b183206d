import { UserError } from "../../src-main/cli/language-cli-support";

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
