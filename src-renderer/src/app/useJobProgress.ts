import { type RefObject, useEffect, useRef } from "react";
import type { AppEvent } from "../../../src-shared/domain";
import { useClient } from "../ipc/ClientContext";

export type JobProgress = Extract<AppEvent, { type: "job-progress" }>;

/**
 * Calls `onProgress` with each job-progress event of the job whose id `jobRef` holds when the event comes (none
 * while it holds null): the panel that starts a job sets the ref, so the events of other jobs never reach it.
 */
export function useJobProgress(jobRef: RefObject<string | null>, onProgress: (progress: JobProgress) => void): void {
  const client = useClient();
  const handler = useRef(onProgress);
  handler.current = onProgress;
  useEffect(
    () =>
      client.events.onEvent({
        onData: (e) => {
          if (e.type === "job-progress" && e.jobId === jobRef.current) handler.current(e);
        },
      }),
    [client, jobRef],
  );
}
