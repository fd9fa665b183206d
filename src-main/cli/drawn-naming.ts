/**
 * Per drawn finding, the share of drafts naming it and the false-mention rate (issue 14.5), for `npm run eval`
 * with `--pack` (the engine's drafts) or with `--predictions` and `--data` (any system's drafts).
 */
import { type NamingRate, namingRates } from "../services/reports/finding-review";

/**
 * `kinds`: the pack's diagnosis findings in their order (No Finding left out), or null for every drawn kind,
 * the most frequent first. Every study must have a prediction (the scoring before this checked the set).
 */
export function drawnNamingRates(
  studies: readonly { id: string; drawn?: readonly string[] }[],
  predictions: readonly { id: string; report: string }[],
  kinds: readonly string[] | null,
): NamingRate[] {
  const counts = new Map<string, number>();
  for (const s of studies) for (const k of s.drawn ?? []) counts.set(k, (counts.get(k) ?? 0) + 1);
  const order =
    kinds?.filter((n) => n !== "no-finding") ?? [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)!);
  const byId = new Map(predictions.map((p) => [p.id, p.report]));
  return namingRates(
    studies.map((s) => ({ drawn: s.drawn ?? [], draft: byId.get(s.id) ?? "" })),
    order,
  );
}
