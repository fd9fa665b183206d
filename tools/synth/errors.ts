/** A problem with the generator's input (files, arguments): reported as one line naming the input, no stack. */
export class SynthInputError extends Error {
  override name = "SynthInputError";
}

/** Runs a command-line main function: input errors print `error: <message>` and exit 1; others print a stack. */
export function runSynthCli(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof SynthInputError) {
      console.error(`error: ${error.message}`);
    } else if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`error: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exitCode = 1;
  });
}

/** Parses a positive integer option, naming the option in the error. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new SynthInputError(`--${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new SynthInputError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}
