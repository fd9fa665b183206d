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
