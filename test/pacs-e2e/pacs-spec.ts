/**
 * The processes a PACS spec runs: a real Orthanc and the workstation's harness, started without the demo studies so
 * that every study comes from the PACS (or from the spec's own set-up), signed in as the demo account (E2E_SIGNER).
 */
import { type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";
import type { OrthancProcess } from "../support/orthanc";

export function startPacsHarness(dataDir: string): Promise<HarnessProcess> {
  return startSignedInHarnessProcess(dataDir, ["--no-demo-studies"]);
}

/** Stops the harness, then Orthanc; either may be missing when the spec's set-up failed before starting it. */
export async function stopPacsSpec(
  harness: HarnessProcess | undefined,
  pacs: OrthancProcess | undefined,
): Promise<void> {
  await harness?.stop();
  await pacs?.stop();
}
