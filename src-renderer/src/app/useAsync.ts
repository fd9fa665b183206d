import { type DependencyList, useEffect, useState } from "react";

export type AsyncState<T> = { status: "loading" } | { status: "ok"; value: T } | { status: "error"; error: string };

/** Runs an async call when deps change; ignores results of stale calls. */
export function useAsync<T>(fn: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: "loading" });
  useEffect(() => {
    let live = true;
    setState({ status: "loading" });
    fn().then(
      (value) => live && setState({ status: "ok", value }),
      (err: unknown) => live && setState({ status: "error", error: err instanceof Error ? err.message : String(err) }),
    );
    return () => {
      live = false;
    };
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names the dependencies.
  }, deps);
  return state;
}
