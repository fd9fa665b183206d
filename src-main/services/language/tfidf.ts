/**
 * TF-IDF nearest-neighbour retrieval over token sequences (the findings → impression dataset's retrieved train
 * impression, its baseline and the impression drafter all use this one function). Pure: no Node imports.
 *
 * Terms are the tokens as given (the drafter and the dataset both pass vocabulary ids, so both sides see the same
 * terms); tf = raw count, idf = ln((1 + N) / (1 + df)) + 1 (scikit-learn's smooth idf), vectors L2-normalised,
 * similarity = cosine. Ties go to the lower document index.
 */

export class TfIdfIndex<T extends string | number> {
  private readonly idf = new Map<T, number>();
  private readonly vectors: Map<T, number>[];

  constructor(documents: readonly (readonly T[])[]) {
    const df = new Map<T, number>();
    for (const doc of documents) for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
    const n = documents.length;
    for (const [term, count] of df) this.idf.set(term, Math.log((1 + n) / (1 + count)) + 1);
    this.vectors = documents.map((doc) => this.vectorOf(doc));
  }

  get size(): number {
    return this.vectors.length;
  }

  /** The L2-normalised TF-IDF vector of a token sequence; terms unseen in the documents are ignored. */
  vectorOf(tokens: readonly T[]): Map<T, number> {
    const tf = new Map<T, number>();
    for (const term of tokens) if (this.idf.has(term)) tf.set(term, (tf.get(term) ?? 0) + 1);
    let norm = 0;
    for (const [term, count] of tf) {
      const w = count * this.idf.get(term)!;
      tf.set(term, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [term, w] of tf) tf.set(term, w / norm);
    return tf;
  }

  /**
   * The index of the most similar document and its cosine similarity; `exclude(i)` skips documents (e.g. the
   * query's own study). Returns index -1 when every document is excluded.
   */
  nearest(tokens: readonly T[], exclude?: (index: number) => boolean): { index: number; similarity: number } {
    const query = this.vectorOf(tokens);
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.vectors.length; i++) {
      if (exclude?.(i)) continue;
      const doc = this.vectors[i]!;
      let dot = 0;
      const [small, large] = query.size <= doc.size ? [query, doc] : [doc, query];
      for (const [term, w] of small) {
        const other = large.get(term);
        if (other !== undefined) dot += w * other;
      }
      if (dot > bestScore) {
        bestScore = dot;
        best = i;
      }
    }
    return { index: best, similarity: best < 0 ? 0 : bestScore };
  }
}
