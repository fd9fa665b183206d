import { type DependencyList, useEffect, useRef, useState } from "react";

export type AsyncState<T> = { status: "loading" } | { status: "ok"; value: T } | { status: "error"; error: string };

const LOADING = { status: "loading" } as const;

const sameDeps = (a: DependencyList, b: DependencyList) =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * Runs an async call when deps change. The result belongs to the deps it was asked for: from the render in which
 * the deps change it reports "loading" (never the previous deps' value, not even for one render), and a call that
 * finishes after newer deps were asked for is dropped, whichever order the calls finish in.
 */
export function useAsync<T>(fn: () => Promise<T>, deps: DependencyList): AsyncState<T> {
  // Each distinct deps list gets a request number; a result is stored with the number it answers.
  const request = useRef<{ deps: DependencyList; id: number }>({ deps, id: 0 });
  if (!sameDeps(request.current.deps, deps)) request.current = { deps, id: request.current.id + 1 };
  const id = request.current.id;
  const [result, setResult] = useState<{ id: number; state: AsyncState<T> }>({ id: -1, state: LOADING });
  // biome-ignore lint/correctness/useExhaustiveDependencies: id changes exactly when the caller's deps do.
  useEffect(() => {
    let live = true;
    fn().then(
      (value) => live && setResult({ id, state: { status: "ok", value } }),
      (err: unknown) =>
        live && setResult({ id, state: { status: "error", error: err instanceof Error ? err.message : String(err) } }),
    );
    return () => {
      live = false;
    };
  }, [id]);
  return result.id === id ? result.state : LOADING;
}
