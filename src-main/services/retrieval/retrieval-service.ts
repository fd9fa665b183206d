import { thumbnailFileUrl } from "../../../src-shared/import-types";
import type { CaseDatabase } from "../../db/database";
import { type LabelVector, OBSERVATION_COUNT } from "../language/observations";
import { type DenseKernel, OnnxKernel } from "./dense-kernel";
import { ModelMismatchError, RetrievalError } from "./errors";
import { exactTopKBatch } from "./exact-batch";
import { type ScoredRows, scanInto, scoresInto } from "./exact-scan";
import { type CaseReports, type RetrievalGallery, validateGallery } from "./gallery";
import { IvfFlatIndex, smallestNprobeFor } from "./ivf-index";
import { SeededRandom } from "./seeded-random";
import {
  CASE_SOURCES,
  type CaseInput,
  type CaseSource,
  DEFAULT_TOP_K,
  MAX_TOP_K,
  type RetrievalIndexInfo,
  type SearchRequest,
  type SimilarCase,
  type StoredCase,
} from "./types";
import { l2Normalized, TopK } from "./vector-math";
import { VectorStore } from "./vector-store";

export interface RetrievalServiceOptions {
  /**
   * From this many cases on, searches go through an IVF-Flat index (built in the background; the exact scan answers
   * until it is ready) whose nprobe is calibrated to recall@10 >= 0.998 against the exact scan on a sample of the
   * index. Below it the exact scan takes a few milliseconds and needs no build (docs/retrieval.md). Default 20,000.
   */
  annMinCases?: number;
  /** Called with (done, total) while a large index is loaded from SQLite at start. */
  onLoadProgress?: (done: number, total: number) => void;
}

interface MetaRow {
  model_id: string;
  dim: number;
  gallery_seeded_at: string | null;
  gallery_count: number | null;
}

interface CaseRow {
  study_id: string;
  report: string;
  labels: string;
  source: CaseSource;
  has_thumbnail: number;
}

interface AnnState {
  index: IvfFlatIndex;
  generation: number;
  /** Slots [0, coveredSlots) are in the IVF; later slots are scanned exactly. */
  coveredSlots: number;
  nprobe: number;
  recall: number;
}

// Calibrated above the 0.99 bar: a sample's recall estimate is noisy, held-out queries land lower (docs/retrieval.md).
const ANN_TARGET_RECALL = 0.998;
const ANN_CALIBRATION_QUERIES = 256;
/** The IVF is rebuilt once the exactly-scanned tail passes this fraction of the covered slots. */
const ANN_REBUILD_TAIL = 0.2;
/** From this many multiply-adds (256 cases of 512) the exact search runs on onnxruntime's GEMM. */
const EXACT_GEMM_MIN_WORK = 256 * 512;

/** Checks a label vector: 14 values, each 1, 0, -1 or null. `what` names the input in errors. */
export function validateLabels(labels: unknown, what: string): LabelVector {
  if (!Array.isArray(labels) || labels.length !== OBSERVATION_COUNT)
    throw new RetrievalError(`${what}: labels must be an array of ${OBSERVATION_COUNT} values`);
  for (const [i, value] of labels.entries()) {
    if (value !== null && value !== 1 && value !== 0 && value !== -1)
      throw new RetrievalError(`${what}: label ${i} is ${JSON.stringify(value)}, not 1, 0, -1 or null`);
  }
  return labels as LabelVector;
}

/**
 * The similar-case index. SQLite (`retrieval_cases`, `retrieval_index_meta`) is the durable store; every vector is
 * mirrored in one contiguous Float32Array at construction and searched there: an exact cosine scan, or IVF-Flat on a
 * large index. The index holds the vectors of one embedding model and refuses others (`ModelMismatchError`);
 * switching models is the explicit `resetForModel`.
 */
export class RetrievalService {
  private meta: MetaRow | null;
  private store: VectorStore | null = null;
  private readonly annMinCases: number;
  private ann: AnnState | null = null;
  private annBuilding: Promise<void> | null = null;
  private annError: string | null = null;
  private kernel: Promise<DenseKernel> | null = null;
  private selectCase: ReturnType<CaseDatabase["prepare"]> | null = null;

  constructor(
    private readonly db: CaseDatabase,
    options: RetrievalServiceOptions = {},
  ) {
    this.annMinCases = options.annMinCases ?? 20_000;
    if (!Number.isInteger(this.annMinCases) || this.annMinCases < 1)
      throw new RetrievalError(`annMinCases must be a positive integer, got ${options.annMinCases}`);
    this.meta = this.readMeta();
    if (this.meta) this.loadVectors(this.meta, options.onLoadProgress);
  }

  /** The model whose vectors the index holds, or null before the first seed / reset. */
  get modelId(): string | null {
    return this.meta?.model_id ?? null;
  }

  get count(): number {
    return this.store?.size ?? 0;
  }

  info(): RetrievalIndexInfo {
    const bySource = Object.fromEntries(CASE_SOURCES.map((s) => [s, 0])) as Record<CaseSource, number>;
    for (const row of this.db.prepare("SELECT source, count(*) AS n FROM retrieval_cases GROUP BY source").all() as {
      source: CaseSource;
      n: number;
    }[])
      bySource[row.source] = row.n;
    const ann = this.ann && this.ann.generation === this.store?.generation ? this.ann : null;
    return {
      modelId: this.meta?.model_id ?? null,
      dim: this.meta?.dim ?? null,
      count: this.count,
      bySource,
      gallerySeededAt: this.meta?.gallery_seeded_at ?? null,
      method: ann && this.count >= this.annMinCases ? "ivf" : "exact",
      ivfError: this.annError,
      ivf: ann
        ? {
            nlist: ann.index.nlist,
            nprobe: ann.nprobe,
            calibratedRecallAt10: ann.recall,
            coveredCases: ann.coveredSlots,
          }
        : null,
    };
  }

  /**
   * Empties the index and makes it the index of `modelId` (vectors of length `dim`). The explicit way to change
   * models: every case is deleted, and the gallery of the new model can then be seeded.
   */
  resetForModel(modelId: string, dim: number): void {
    if (typeof modelId !== "string" || modelId.trim() === "")
      throw new RetrievalError(`resetForModel: model id must be a non-empty string, got ${JSON.stringify(modelId)}`);
    if (!Number.isInteger(dim) || dim < 1)
      throw new RetrievalError(`resetForModel: dim must be a positive integer, got ${dim}`);
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM retrieval_cases").run();
      this.db.prepare("DELETE FROM retrieval_index_meta").run();
      this.db.prepare("INSERT INTO retrieval_index_meta (id, model_id, dim) VALUES (1, ?, ?)").run(modelId, dim);
    })();
    this.meta = this.readMeta();
    this.store = new VectorStore(dim);
    this.ann = null;
  }

  /**
   * Seeds the index from a model pack's gallery, with report text and labels from `reports` and the gallery's
   * thumbnails when it has them, once: a second call (a later start) only adds thumbnails the seeded cases lack
   * (`fillGalleryThumbnails`). An empty index takes the gallery's model; an index of another model refuses
   * (`ModelMismatchError`) until `resetForModel`. Every gallery id must have a report.
   */
  seedFromGallery(
    gallery: RetrievalGallery,
    reports: CaseReports,
    onProgress?: (done: number, total: number) => void,
  ): { seeded: boolean; added: number } {
    validateGallery(gallery, "gallery");
    if (this.meta && this.meta.model_id !== gallery.modelId)
      throw new ModelMismatchError(this.meta.model_id, gallery.modelId, "seed the gallery");
    if (this.meta?.gallery_seeded_at) {
      this.fillGalleryThumbnails(gallery);
      return { seeded: false, added: 0 };
    }
    const missing = gallery.ids.filter((id) => !reports.has(id));
    if (missing.length > 0)
      throw new RetrievalError(
        `gallery of model "${gallery.modelId}": ${missing.length} of ${gallery.ids.length} study ids have no report in the annotation (first: ${missing.slice(0, 5).join(", ")})`,
      );
    if (!this.meta) this.resetForModel(gallery.modelId, gallery.dim);
    const { dim } = gallery;
    const cases = gallery.ids.map((studyId, i): CaseInput => {
      const entry = reports.get(studyId)!;
      return {
        studyId,
        report: entry.report,
        labels: entry.labels,
        source: "gallery",
        modelId: gallery.modelId,
        vector: gallery.embeddings.subarray(i * dim, (i + 1) * dim),
        thumbnail: gallery.thumbnail?.(i) ?? null,
      };
    });
    let added = 0;
    this.db.transaction(() => {
      added = this.insertCases(cases, { replace: false, onProgress });
      this.db
        .prepare(
          "UPDATE retrieval_index_meta SET gallery_seeded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), gallery_count = ? WHERE id = 1",
        )
        .run(added);
    })();
    this.meta = this.readMeta();
    return { seeded: true, added };
  }

  /**
   * Gives the gallery cases of an index seeded before its pack had thumbnails (or from a pack without them) the
   * gallery's thumbnails: only cases of source `gallery` without a thumbnail, of the same model. Returns how many
   * cases got one; 0 (one query) when there is nothing to do.
   */
  fillGalleryThumbnails(gallery: RetrievalGallery): number {
    const thumbnailOf = gallery.thumbnail;
    if (!thumbnailOf || !this.meta || this.meta.model_id !== gallery.modelId) return 0;
    const lacking = this.db
      .prepare("SELECT study_id FROM retrieval_cases WHERE source = 'gallery' AND thumbnail IS NULL")
      .pluck()
      .all() as string[];
    if (lacking.length === 0) return 0;
    const rowOf = new Map(gallery.ids.map((id, i) => [id, i]));
    const update = this.db.prepare(
      "UPDATE retrieval_cases SET thumbnail = ? WHERE study_id = ? AND source = 'gallery' AND thumbnail IS NULL",
    );
    let filled = 0;
    this.db.transaction(() => {
      for (const studyId of lacking) {
        const row = rowOf.get(studyId);
        const thumbnail = row === undefined ? null : thumbnailOf(row);
        if (!thumbnail || !isPngOrJpeg(thumbnail)) continue;
        filled += update.run(
          Buffer.from(thumbnail.buffer, thumbnail.byteOffset, thumbnail.byteLength),
          studyId,
        ).changes;
      }
    })();
    return filled;
  }

  /** Adds a case, or replaces the case with the same study id (a re-signed report). */
  addCase(input: CaseInput): void {
    this.addCases([input]);
  }

  /** Adds or replaces cases in one transaction; returns how many were written. */
  addCases(inputs: readonly CaseInput[], onProgress?: (done: number, total: number) => void): number {
    let written = 0;
    this.db.transaction(() => {
      written = this.insertCases(inputs, { replace: true, onProgress });
    })();
    return written;
  }

  /** Removes a case; false when the index has no such study. */
  removeCase(studyId: string): boolean {
    const result = this.db.prepare("DELETE FROM retrieval_cases WHERE study_id = ?").run(studyId);
    this.store?.remove(studyId);
    return result.changes > 0;
  }

  hasCase(studyId: string): boolean {
    return this.store?.has(studyId) ?? false;
  }

  getCase(studyId: string): StoredCase | null {
    const row = this.db
      .prepare(
        "SELECT study_id, report, labels, source, model_id, vector, thumbnail, created_at FROM retrieval_cases WHERE study_id = ?",
      )
      .get(studyId) as
      | {
          study_id: string;
          report: string;
          labels: string;
          source: CaseSource;
          model_id: string;
          vector: Buffer;
          thumbnail: Buffer | null;
          created_at: string;
        }
      | undefined;
    if (!row) return null;
    return {
      studyId: row.study_id,
      report: row.report,
      labels: JSON.parse(row.labels) as LabelVector,
      source: row.source,
      modelId: row.model_id,
      vector: new Float32Array(Uint8Array.from(row.vector).buffer),
      thumbnail: row.thumbnail ? new Uint8Array(row.thumbnail) : null,
      createdAt: row.created_at,
    };
  }

  /** Whether the index holds a thumbnail of the case (false for a study it does not hold). */
  hasThumbnail(studyId: string): boolean {
    return (
      this.db.prepare("SELECT 1 FROM retrieval_cases WHERE study_id = ? AND thumbnail IS NOT NULL").get(studyId) !==
      undefined
    );
  }

  /** The thumbnail of a case (PNG or JPEG bytes), or null. */
  thumbnail(studyId: string): Uint8Array | null {
    const row = this.db.prepare("SELECT thumbnail FROM retrieval_cases WHERE study_id = ?").get(studyId) as
      | { thumbnail: Buffer | null }
      | undefined;
    return row?.thumbnail ? new Uint8Array(row.thumbnail) : null;
  }

  /**
   * The k cases most similar to the query vector by cosine similarity, best first, never one of `excludeIds`.
   * Exact below `annMinCases`; from there on IVF-Flat at a calibrated nprobe.
   */
  async search(request: SearchRequest): Promise<SimilarCase[]> {
    const k = request.k ?? DEFAULT_TOP_K;
    if (!Number.isInteger(k) || k < 1 || k > MAX_TOP_K)
      throw new RetrievalError(`search: k must be an integer from 1 to ${MAX_TOP_K}, got ${request.k}`);
    if (!this.meta || !this.store)
      throw new RetrievalError("search: the retrieval index is empty (no model seeded yet)");
    if (request.modelId !== this.meta.model_id)
      throw new ModelMismatchError(this.meta.model_id, request.modelId, "search with this query");
    const store = this.store;
    if (!(request.vector instanceof Float32Array) || request.vector.length !== store.dim)
      throw new RetrievalError(
        `search: the query vector must be a Float32Array of ${store.dim} values, got ${request.vector?.length ?? "none"}`,
      );
    const query = this.normalise(request.vector, "search query");
    const excluded = new Set(request.excludeIds ?? []);
    const skip = (slot: number): boolean => {
      const id = store.idAt(slot);
      return id === null || excluded.has(id);
    };
    const hits = await this.searchAnn(query, k, skip);
    const found = hits ?? (await this.searchExact(query, k, skip));
    const ids = found.rows.map((slot) => store.idAt(slot)!);
    const rows = this.readCaseRows(ids);
    return ids.map((studyId, i) => {
      const row = rows.get(studyId)!;
      return {
        studyId,
        // float32 rounding can put a unit vector's dot product a hair outside [-1, 1]
        similarity: Math.max(-1, Math.min(1, found.scores[i]!)),
        report: row.report,
        labels: JSON.parse(row.labels) as LabelVector,
        source: row.source,
        ...(row.has_thumbnail === 1 ? { thumbnailUrl: thumbnailFileUrl(studyId) } : {}),
      };
    });
  }

  /** Builds the IVF index now (rather than at the first search) when the index is large enough. */
  async prepare(): Promise<void> {
    if (this.store && this.store.size >= this.annMinCases && !this.currentAnn()) await this.startAnnBuild();
  }

  /** Releases the onnxruntime session of the IVF kernel, if one was made. */
  async close(): Promise<void> {
    if (this.annBuilding) await this.annBuilding;
    const kernel = this.kernel;
    this.kernel = null;
    if (kernel) await (await kernel).close();
  }

  /**
   * Exact top-k over every slot: the dot products by onnxruntime's GEMM (~5x the TypeScript scan: 0.24 against
   * 1.2 ms for 2,069 x 512, docs/retrieval.md), the TypeScript scan for a small index or when the matrix was
   * compacted while the GEMM was awaited.
   */
  private async searchExact(query: Float32Array, k: number, skip: (slot: number) => boolean): Promise<ScoredRows> {
    const store = this.store!;
    const top = new TopK(k);
    const slots = store.usedSlots;
    const generation = store.generation;
    if (slots * store.dim >= EXACT_GEMM_MIN_WORK) {
      this.kernel ??= OnnxKernel.create({ threads: 1 });
      // A kernel that cannot run leaves the search to the TypeScript scan below.
      const scores = await this.kernel
        .then((kernel) => kernel.dotProducts(query, 1, store.matrix, slots, store.dim))
        .catch(() => null);
      if (scores && store.generation === generation && this.store === store) {
        scoresInto(top, scores, 0, slots, (slot) => slot, skip);
        const { items, scores: best } = top.results();
        return { rows: items, scores: best };
      }
    }
    scanInto(top, store.matrix, store.dim, 0, store.usedSlots, query, skip);
    const { items, scores } = top.results();
    return { rows: items, scores };
  }

  /** IVF search when a current IVF exists; null (use the exact scan) while none is ready. */
  private async searchAnn(query: Float32Array, k: number, skip: (slot: number) => boolean): Promise<ScoredRows | null> {
    const ann = this.currentAnn();
    const store = this.store!;
    if (!ann) return null;
    const fromIvf = await ann.index.search(query, k, ann.nprobe, skip);
    // The matrix may have been compacted while the search awaited onnxruntime: slot numbers are then stale.
    if (ann.generation !== store.generation || this.store !== store) return null;
    const top = new TopK(k);
    for (let i = 0; i < fromIvf.rows.length; i++)
      if (!skip(fromIvf.rows[i]!)) top.push(fromIvf.scores[i]!, fromIvf.rows[i]!);
    // Slots added since the build are scanned exactly.
    scanInto(top, store.matrix, store.dim, ann.coveredSlots, store.usedSlots, query, skip);
    const { items, scores } = top.results();
    return { rows: items, scores };
  }

  /**
   * The IVF state if it matches the matrix, else null. Starts a background (re)build when there is none or the
   * exactly-scanned tail has grown past ANN_REBUILD_TAIL; searches use the exact scan (or the old IVF) meanwhile,
   * so no search waits for a build.
   */
  private currentAnn(): AnnState | null {
    const store = this.store;
    if (!store || store.size < this.annMinCases) return null;
    const current = this.ann && this.ann.generation === store.generation ? this.ann : null;
    const stale = !current || store.usedSlots - current.coveredSlots > current.coveredSlots * ANN_REBUILD_TAIL;
    if (stale) void this.startAnnBuild();
    return current;
  }

  private startAnnBuild(): Promise<void> {
    if (!this.annBuilding) {
      const store = this.store!;
      this.annBuilding = this.buildAnn(store)
        .then((built) => {
          if (built && built.generation === store.generation && this.store === store) this.ann = built;
          this.annError = null;
        })
        .catch((error: unknown) => {
          // The exact scan keeps answering; the failure is reported by info().
          this.annError = error instanceof Error ? error.message : String(error);
        })
        .finally(() => {
          this.annBuilding = null;
        });
    }
    return this.annBuilding;
  }

  private async buildAnn(store: VectorStore): Promise<AnnState | null> {
    this.kernel ??= OnnxKernel.create({ threads: 1 });
    const kernel = await this.kernel;
    const slots = store.usedSlots;
    const matrix = store.matrix;
    const dim = store.dim;
    const nlist = Math.max(1, Math.round(Math.sqrt(slots)));
    // The IVF reorders the store's own matrix list by list (no second copy of the vectors), unless the store changed
    // while it was being built (then it copies, and the result is discarded below as stale).
    let generation = store.generation;
    const index = await IvfFlatIndex.build(matrix, slots, dim, {
      nlist,
      kernel,
      seed: 1,
      inPlace: {
        canReorder: () => store.generation === generation && store.matrix === matrix && this.store === store,
        onPermuted: (previousSlot) => {
          store.renumber(previousSlot);
          generation = store.generation;
        },
      },
    });
    // Calibrate nprobe: live cases as queries (each excluding itself), exact neighbours as truth.
    const random = new SeededRandom(2);
    const querySlots: number[] = [];
    for (let tries = 0; querySlots.length < ANN_CALIBRATION_QUERIES && tries < ANN_CALIBRATION_QUERIES * 20; tries++) {
      const slot = random.int(slots);
      if (!store.isHole(slot) && !querySlots.includes(slot)) querySlots.push(slot);
    }
    const queries = new Float32Array(querySlots.length * dim);
    querySlots.forEach((slot, i) => {
      queries.set(matrix.subarray(slot * dim, (slot + 1) * dim), i * dim);
    });
    const truth = await exactTopKBatch(kernel, queries, querySlots.length, matrix, slots, dim, 10, {
      skip: (q, row) => row === querySlots[q] || store.isHole(row),
    });
    const recalls = await index.recallByNprobe(
      queries,
      truth.map((t) => t.rows),
      nlist,
    );
    const { nprobe, recall } = smallestNprobeFor(recalls, ANN_TARGET_RECALL);
    if (store.generation !== generation || this.store !== store) return null;
    return { index, generation, coveredSlots: slots, nprobe, recall };
  }

  private insertCases(
    inputs: readonly CaseInput[],
    options: { replace: boolean; onProgress?: ((done: number, total: number) => void) | undefined },
  ): number {
    const meta = this.meta;
    const store = this.store;
    const insert = this.db.prepare(
      `INSERT INTO retrieval_cases (study_id, report, labels, source, model_id, vector, thumbnail)
       VALUES (@studyId, @report, @labels, @source, @modelId, @vector, @thumbnail)
       ${options.replace ? "ON CONFLICT (study_id) DO UPDATE SET report = excluded.report, labels = excluded.labels, source = excluded.source, model_id = excluded.model_id, vector = excluded.vector, thumbnail = excluded.thumbnail, created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : "ON CONFLICT (study_id) DO NOTHING"}`,
    );
    let written = 0;
    const pending: [string, Float32Array][] = [];
    for (const [i, input] of inputs.entries()) {
      const what = `case ${JSON.stringify(input?.studyId)}`;
      if (!meta || !store)
        throw new RetrievalError(`cannot add ${what}: the index has no model yet (seed or resetForModel first)`);
      if (typeof input.studyId !== "string" || input.studyId.trim() === "")
        throw new RetrievalError(`cannot add case #${i}: the study id must be a non-empty string`);
      if (input.modelId !== meta.model_id) throw new ModelMismatchError(meta.model_id, input.modelId, `add ${what}`);
      if (typeof input.report !== "string") throw new RetrievalError(`${what}: the report must be text`);
      if (!(CASE_SOURCES as readonly string[]).includes(input.source))
        throw new RetrievalError(
          `${what}: source must be one of ${CASE_SOURCES.join(", ")}, got ${JSON.stringify(input.source)}`,
        );
      const labels = validateLabels(input.labels, what);
      if (!(input.vector instanceof Float32Array) || input.vector.length !== meta.dim)
        throw new RetrievalError(
          `${what}: the vector must be a Float32Array of ${meta.dim} values (model "${meta.model_id}"), got ${input.vector?.length ?? "none"}`,
        );
      const vector = this.normalise(input.vector, what);
      const thumbnail = input.thumbnail ?? null;
      if (thumbnail !== null && !isPngOrJpeg(thumbnail))
        throw new RetrievalError(`${what}: the thumbnail is neither PNG nor JPEG`);
      const result = insert.run({
        studyId: input.studyId,
        report: input.report,
        labels: JSON.stringify(labels),
        source: input.source,
        modelId: input.modelId,
        vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
        thumbnail: thumbnail ? Buffer.from(thumbnail.buffer, thumbnail.byteOffset, thumbnail.byteLength) : null,
      });
      if (result.changes > 0) {
        written++;
        pending.push([input.studyId, vector]);
      }
      if (options.onProgress && ((i + 1) % 256 === 0 || i + 1 === inputs.length))
        options.onProgress(i + 1, inputs.length);
    }
    // The in-memory mirror changes only once every row was accepted (a throw above rolls the transaction back).
    for (const [id, vector] of pending) store!.put(id, vector);
    return written;
  }

  private normalise(vector: Float32Array, what: string): Float32Array {
    try {
      return l2Normalized(vector, what);
    } catch (error) {
      throw new RetrievalError((error as Error).message);
    }
  }

  private readMeta(): MetaRow | null {
    return (
      (this.db
        .prepare("SELECT model_id, dim, gallery_seeded_at, gallery_count FROM retrieval_index_meta WHERE id = 1")
        .get() as MetaRow | undefined) ?? null
    );
  }

  private loadVectors(meta: MetaRow, onProgress?: (done: number, total: number) => void): void {
    const total = (this.db.prepare("SELECT count(*) AS n FROM retrieval_cases").get() as { n: number }).n;
    const store = new VectorStore(meta.dim, Math.max(1024, total));
    let done = 0;
    for (const row of this.db
      .prepare("SELECT study_id, model_id, vector FROM retrieval_cases ORDER BY rowid")
      .iterate() as Iterable<{ study_id: string; model_id: string; vector: Buffer }>) {
      if (row.model_id !== meta.model_id)
        throw new ModelMismatchError(meta.model_id, row.model_id, `load case ${JSON.stringify(row.study_id)}`);
      store.put(row.study_id, row.vector);
      done++;
      if (onProgress && done % 65536 === 0) onProgress(done, total);
    }
    onProgress?.(done, total);
    this.store = store;
  }

  private readCaseRows(ids: readonly string[]): Map<string, CaseRow> {
    // Prepared once per service: every search reads its k rows through it.
    this.selectCase ??= this.db.prepare(
      "SELECT study_id, report, labels, source, thumbnail IS NOT NULL AS has_thumbnail FROM retrieval_cases WHERE study_id = ?",
    );
    const select = this.selectCase;
    const rows = new Map<string, CaseRow>();
    for (const id of ids) {
      const row = select.get(id) as CaseRow | undefined;
      if (!row) throw new RetrievalError(`case ${id} is in the in-memory index but not in the case database`);
      rows.set(id, row);
    }
    return rows;
  }
}

function isPngOrJpeg(bytes: Uint8Array): boolean {
  const png = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const jpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  return png || jpeg;
}
