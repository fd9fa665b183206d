/**
 * Crash points for the recovery tests: RADIOLOGY_DRAFT_CRASH_AT=<step> makes the process kill itself with SIGKILL
 * (exactly as `kill -9` does: no cleanup, no flush beyond what SQLite has committed) when it reaches that step.
 * Unset — always, outside the tests — a crash point does nothing. The steps: `sign:signed` (the signed report is
 * committed, the retrieval index not yet written), `sign:indexed` (the index written, its audit entry not yet).
 */
export const CRASH_AT_ENV = "RADIOLOGY_DRAFT_CRASH_AT";

export const CRASH_POINTS = ["sign:signed", "sign:indexed"] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export function crashPoint(step: CrashPoint): void {
  if (process.env[CRASH_AT_ENV] === step) process.kill(process.pid, "SIGKILL");
}
