/**
 * WordNet synonym sets for METEOR's synonym module, from the compact table generated at build time by
 * `src-main/cli/build-meteor-synonyms.ts` (see that file and docs/language.md). Pure: no Node imports.
 *
 * For each word of the IU-Xray report vocabulary the table holds the set METEOR 1.5 computes for it:
 * synsets(word) plus the synsets of its base forms (WordNet exception lists, else METEOR's morphological
 * suffix rules). Only synsets shared by at least two words of the vocabulary are kept (renumbered), which
 * leaves every synonym match between two vocabulary words unchanged. Words outside the vocabulary have no
 * synonyms here (METEOR would look them up in the full WordNet).
 */
import { WORDNET_SYNONYM_TABLE } from "./meteor-wordnet-synonyms.generated";

let table: Map<string, readonly number[]> | null = null;

function load(): Map<string, readonly number[]> {
  if (table) return table;
  table = new Map();
  if (WORDNET_SYNONYM_TABLE.length === 0) return table;
  for (const entry of WORDNET_SYNONYM_TABLE.split(";")) {
    const colon = entry.lastIndexOf(":");
    table.set(
      entry.slice(0, colon),
      entry
        .slice(colon + 1)
        .split(",")
        .map(Number),
    );
  }
  return table;
}

const EMPTY: readonly number[] = [];

/** The (renumbered) WordNet synset ids METEOR would use for a word; empty when none are shared. */
export function wordnetSynsets(word: string): readonly number[] {
  return load().get(word) ?? EMPTY;
}

/** Number of words in the table (for reports and tests). */
export function wordnetSynonymTableSize(): number {
  return load().size;
}
