import { writeFile } from "node:fs/promises";

/**
 * Writes the JSON manifest of a synthetic output folder (demo studies, generated dataset): its format, the mark that
 * it is a simulation, a note saying what it is, then the folder's own fields; indented, with a final newline.
 */
export async function writeSimulationManifest(
  file: string,
  format: string,
  note: string,
  fields: Record<string, unknown>,
): Promise<void> {
  await writeFile(file, `${JSON.stringify({ format, simulation: true, note, ...fields }, null, 2)}\n`);
}
