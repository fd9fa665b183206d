import type { DraftConflict } from "../../../src-shared/report-types";

/**
 * A request that conflicts with the report's state (signing a changed draft, editing a signed report, regenerating
 * over edits without confirmation). The IPC layer answers it with CONFLICT and this message.
 */
export class ReportConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportConflictError";
  }
}

/** A stale autosave (issue 18.6): the draft was written elsewhere since the editor's base revision. */
export class DraftConflictError extends ReportConflictError {
  constructor(readonly conflict: DraftConflict) {
    super(
      `the draft changed elsewhere (version ${conflict.version}, revision ${conflict.revision}, by ${conflict.author} at ${conflict.updatedAt}): load the newer text or keep yours as a new revision`,
    );
    this.name = "DraftConflictError";
  }
}
