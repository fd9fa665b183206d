/** The transport codes a service's own request errors carry (ipc/trpc.ts answers with them as they are). */
export type RequestErrorCode = "BAD_REQUEST" | "CONFLICT" | "NOT_FOUND" | "UNAUTHORIZED";

/** A service request that cannot be done as asked; `code` says how the transport answers it. */
export class RequestError<Code extends RequestErrorCode = RequestErrorCode> extends Error {
  constructor(
    message: string,
    readonly code: Code,
  ) {
    super(message);
    this.name = "RequestError";
  }
}
