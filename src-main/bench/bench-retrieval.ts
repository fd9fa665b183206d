/**
 * npm run bench:retrieval -- [--sizes 10000,100000,1000000] [--queries 200] [--dim 512] [--out bench-results]
 *                            [--query-seconds 20] [--methods exact,exact-workers,sqlite-vec,ivf]
 *
 * Top-10 retrieval at scale over seeded synthetic clustered vectors (a Gaussian mixture on the unit sphere, see
 * synthetic-vectors.ts), comparing:
 *   exact          the TypeScript exact scan (Float32Array, 8-way unrolled dot, bounded heap), one thread;
 *   exact-workers  the same scan split across 2 worker threads over a SharedArrayBuffer;
 *   sqlite-vec     a vec0 virtual table (float[dim], cosine), `embedding MATCH ? AND k = 10`;
 *   ivf            IVF-Flat (spherical k-means lists, exact float scores in the probed lists) with dot products
 *                  on onnxruntime's GEMM; nprobe is the smallest reaching recall@10 >= 0.995 on separate tuning
 *                  queries, then measured on the evaluation queries.
 * Recall@10 is against the exact neighbours computed by a batched GEMM (onnxruntime), an implementation independent
 * of the scans above. Prints a Markdown table and writes JSON + Markdown to --out (git-ignored).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import cliProgress from "cli-progress";
import * as sqliteVec from "sqlite-vec";
import { appRoot } from "../paths";
import { OnnxKernel } from "../services/retrieval/dense-kernel";
import { exactTopKBatch, meanRecall } from "../services/retrieval/exact-batch";
import { exactTopK, type ScoredRows } from "../services/retrieval/exact-scan";
import { IvfFlatIndex, smallestNprobeFor } from "../services/retrieval/ivf-index";
import { ParallelExactScan } from "./parallel-exact-scan";
import { GaussianMixture } from "./synthetic-vectors";

const METHODS = ["exact", "exact-workers", "sqlite-vec", "ivf"] as const;
type Method = (typeof METHODS)[number];
const K = 10;
const TUNE_TARGET_RECALL = 0.995;
const MIXTURE = { clusters: 2000, groups: 50, spread: 1.5, seed: 7 };
const SEEDS = { data: 11, tune: 12, evaluate: 13 };

class UserError extends Error {}

interface MethodResult {
  size: number;
  method: Method;
  detail: string;
  buildSeconds: number;
  indexBytes: number;
  rssDeltaBytes: number;
  /** Resident set of the whole process after the build, and that over the fp32 vectors' bytes. */
  rssBytes?: number;
  rssOverVectors?: number;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  recallAt10: number;
  loadAverage: [number, number];
}

function parsePositiveList(text: string, flag: string): number[] {
  const values = text.split(",").map((part) => Number(part.trim()));
  for (const value of values)
    if (!Number.isInteger(value) || value < 1) throw new UserError(`${flag} must be positive integers, got "${text}"`);
  return values;
}

function parsePositive(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UserError(`${flag} must be a positive number, got "${text}"`);
  return value;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Latency percentiles and recall@10 of the queries that ran (the first `found.length` of `truth`). */
function queryFigures(latencies: readonly number[], found: readonly ScoredRows[], truth: readonly ScoredRows[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    queries: latencies.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    recallAt10: meanRecall(found, truth.slice(0, found.length)),
  };
}

function bar(label: string, total: number): cliProgress.SingleBar {
  const progress = new cliProgress.SingleBar(
    { format: `${label.padEnd(28)} [{bar}] {percentage}% {value}/{total} {duration_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  progress.start(total, 0);
  return progress;
}

/** Runs queries one after another until all ran or the time budget is spent (at least `minimum`). */
async function timeQueries(
  queries: Float32Array,
  count: number,
  dim: number,
  budgetSeconds: number,
  minimum: number,
  run: (query: Float32Array) => ScoredRows | Promise<ScoredRows>,
): Promise<{ latencies: number[]; results: ScoredRows[] }> {
  const latencies: number[] = [];
  const results: ScoredRows[] = [];
  const started = performance.now();
  // One untimed warm-up query (JIT, caches, onnxruntime arena).
  await run(queries.subarray(0, dim));
  for (let q = 0; q < count; q++) {
    if (q >= minimum && performance.now() - started > budgetSeconds * 1000) break;
    const t = performance.now();
    results.push(await run(queries.subarray(q * dim, (q + 1) * dim)));
    latencies.push(performance.now() - t);
  }
  return { latencies, results };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function rss(): number {
  gc();
  return process.memoryUsage().rss;
}

function loadAverage(): [number, number] {
  const [one] = os.loadavg();
  return [Number(one!.toFixed(2)), os.cpus().length];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "10000,100000,1000000" },
      queries: { type: "string", default: "200" },
      dim: { type: "string", default: "512" },
      out: { type: "string", default: "bench-results" },
      "query-seconds": { type: "string", default: "20" },
      methods: { type: "string", default: METHODS.join(",") },
    },
    strict: true,
  });
  const sizes = parsePositiveList(values.sizes, "--sizes");
  const queryCount = parsePositive(values.queries, "--queries");
  const dim = parsePositive(values.dim, "--dim");
  const querySeconds = parsePositive(values["query-seconds"], "--query-seconds");
  if (!Number.isInteger(queryCount) || !Number.isInteger(dim))
    throw new UserError("--queries and --dim must be integers");
  const methods = values.methods.split(",").map((m) => m.trim());
  for (const m of methods)
    if (!(METHODS as readonly string[]).includes(m))
      throw new UserError(`--methods: unknown method "${m}" (known: ${METHODS.join(", ")})`);
  const outDir = path.resolve(appRoot(), values.out);

  const buildKernel = await OnnxKernel.create({ threads: 2 });
  const queryKernel = await OnnxKernel.create({ threads: 1 });
  const mixture = GaussianMixture.create({ dim, ...MIXTURE });
  const tuneQueries = mixture.sample(queryCount, SEEDS.tune);
  const evalQueries = mixture.sample(queryCount, SEEDS.evaluate);
  const results: MethodResult[] = [];
  const phases: { size: number; generateSeconds: number; truthSeconds: number }[] = [];
  const startedAt = new Date().toISOString();
  const began = performance.now();

  for (const size of sizes) {
    console.log(`\n== ${size.toLocaleString("en")} vectors × ${dim} (load average ${os.loadavg()[0]!.toFixed(2)})`);
    let t0 = performance.now();
    const genBar = bar("generate vectors", size);
    const data = mixture.sample(size, SEEDS.data, (done) => genBar.update(done));
    genBar.stop();
    const generateSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();

    const truthBar = bar("exact truth (GEMM)", size * 2);
    const tuneTruth = await exactTopKBatch(buildKernel, tuneQueries, queryCount, data, size, dim, K, {
      onChunk: (done) => truthBar.update(done),
    });
    const evalTruth = await exactTopKBatch(buildKernel, evalQueries, queryCount, data, size, dim, K, {
      onChunk: (done) => truthBar.update(size + done),
    });
    truthBar.stop();
    const truthSeconds = (performance.now() - t0) / 1000;
    phases.push({ size, generateSeconds, truthSeconds });
    console.log(`  generated in ${generateSeconds.toFixed(1)} s, exact truth (GEMM) in ${truthSeconds.toFixed(1)} s`);
    const record = (result: Omit<MethodResult, "size" | "loadAverage">) => {
      const full = { size, loadAverage: loadAverage(), ...result };
      results.push(full);
      console.log(
        `  ${result.method.padEnd(14)} p50 ${result.p50Ms.toFixed(2)} ms  p95 ${result.p95Ms.toFixed(2)} ms  recall@10 ${result.recallAt10.toFixed(4)}  build ${result.buildSeconds.toFixed(1)} s  (${result.detail})`,
      );
    };

    if (methods.includes("exact")) {
      const { latencies, results: found } = await timeQueries(evalQueries, queryCount, dim, querySeconds, 5, (q) =>
        exactTopK(data, dim, size, q, K),
      );
      record({
        method: "exact",
        detail: "TypeScript, 1 thread",
        buildSeconds: 0,
        indexBytes: data.byteLength,
        rssDeltaBytes: 0,
        ...queryFigures(latencies, found, evalTruth),
      });
    }

    if (methods.includes("exact-workers")) {
      const threads = Math.min(2, os.cpus().length);
      // Workers share the vectors through a SharedArrayBuffer (onnxruntime will not wrap one, so this is a copy
      // made for this method only and released after it).
      const t0 = performance.now();
      const shared = new SharedArrayBuffer(size * dim * 4);
      new Float32Array(shared).set(data);
      const pool = await ParallelExactScan.start(shared, dim, size, threads);
      const startSeconds = (performance.now() - t0) / 1000;
      try {
        const { latencies, results: found } = await timeQueries(evalQueries, queryCount, dim, querySeconds, 5, (q) =>
          pool.search(q, K),
        );
        record({
          method: "exact-workers",
          detail: `TypeScript, ${threads} worker threads on a SharedArrayBuffer (start = copy + spawn)`,
          buildSeconds: startSeconds,
          indexBytes: data.byteLength,
          rssDeltaBytes: 0,
          ...queryFigures(latencies, found, evalTruth),
        });
      } finally {
        await pool.close();
      }
    }

    if (methods.includes("sqlite-vec")) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-bench-vec-"));
      const file = path.join(dir, "vectors.sqlite");
      const before = rss();
      const t0 = performance.now();
      const db = new Database(file);
      try {
        sqliteVec.load(db);
        db.pragma("journal_mode = OFF");
        db.pragma("synchronous = OFF");
        db.exec(`CREATE VIRTUAL TABLE vectors USING vec0(embedding float[${dim}] distance_metric=cosine)`);
        const insert = db.prepare("INSERT INTO vectors (rowid, embedding) VALUES (?, ?)");
        const insertBar = bar("sqlite-vec insert", size);
        const batch = 10_000;
        for (let start = 0; start < size; start += batch) {
          db.transaction(() => {
            for (let i = start; i < Math.min(size, start + batch); i++)
              insert.run(BigInt(i + 1), Buffer.from(data.buffer, i * dim * 4, dim * 4));
          })();
          insertBar.update(Math.min(size, start + batch));
        }
        insertBar.stop();
        const buildSeconds = (performance.now() - t0) / 1000;
        const rssDelta = rss() - before;
        const knn = db.prepare("SELECT rowid, distance FROM vectors WHERE embedding MATCH ? AND k = ?");
        const version = (db.prepare("SELECT vec_version() AS v").get() as { v: string }).v;
        const { latencies, results: found } = await timeQueries(evalQueries, queryCount, dim, querySeconds, 5, (q) => {
          const rows = knn.all(Buffer.from(q.buffer, q.byteOffset, q.byteLength), K) as {
            rowid: number;
            distance: number;
          }[];
          return { rows: rows.map((r) => Number(r.rowid) - 1), scores: rows.map((r) => 1 - r.distance) };
        });
        record({
          method: "sqlite-vec",
          detail: `sqlite-vec ${version} vec0 float[${dim}] cosine, brute-force knn`,
          buildSeconds,
          indexBytes: fs.statSync(file).size,
          rssDeltaBytes: rssDelta,
          ...queryFigures(latencies, found, evalTruth),
        });
      } finally {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }

    if (methods.includes("ivf")) {
      const nlist = Math.max(1, Math.round(Math.sqrt(size)));
      const before = rss();
      const t0 = performance.now();
      const buildBar = bar(`ivf build (nlist ${nlist})`, 8 + size);
      // In place, as the workstation builds it: the vectors are reordered list by list, no second copy (this is the
      // last method of a size, so the others saw the original order).
      let previousRow: Int32Array = new Int32Array(0);
      const built = await IvfFlatIndex.build(data, size, dim, {
        nlist,
        kernel: buildKernel,
        seed: 1,
        onProgress: (phase, done) => buildBar.update(phase === "train" ? done : 8 + done),
        inPlace: { canReorder: () => true, onPermuted: (rows) => (previousRow = rows) },
      });
      buildBar.stop();
      const buildSeconds = (performance.now() - t0) / 1000;
      const rssAfter = rss();
      const rssDelta = rssAfter - before;
      const positionOf = new Int32Array(size);
      for (let position = 0; position < size; position++) positionOf[previousRow[position]!] = position;
      const recalls = await built.recallByNprobe(
        tuneQueries,
        tuneTruth.map((t) => t.rows.map((row) => positionOf[row]!)),
        nlist,
      );
      const { nprobe, recall: tunedRecall } = smallestNprobeFor(recalls, TUNE_TARGET_RECALL);
      const index = built.withKernel(queryKernel);
      const { latencies, results: found } = await timeQueries(
        evalQueries,
        queryCount,
        dim,
        querySeconds * 3,
        queryCount,
        async (q) => {
          const hit = await index.search(q, K, nprobe);
          return { rows: hit.rows.map((position) => previousRow[position]!), scores: hit.scores };
        },
      );
      record({
        method: "ivf",
        detail: `IVF-Flat in place (no copy of the vectors), nlist ${nlist}, nprobe ${nprobe} (tuned recall ${tunedRecall.toFixed(4)}), onnxruntime GEMM 1 thread`,
        buildSeconds,
        indexBytes: index.bytes,
        rssDeltaBytes: rssDelta,
        rssBytes: rssAfter,
        rssOverVectors: rssAfter / data.byteLength,
        ...queryFigures(latencies, found, evalTruth),
      });
    }
  }

  await buildKernel.close();
  await queryKernel.close();
  const totalSeconds = (performance.now() - began) / 1000;
  // Peak resident set of the whole run (all sizes and methods; kilobytes on Linux).
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const peakRss = `${(peakRssBytes / 1024 ** 3).toFixed(1)} GiB`;
  const header = [
    "vectors",
    "method",
    "p50 ms",
    "p95 ms",
    "recall@10",
    "build s",
    "index MB",
    "RSS Δ MB",
    "process RSS / fp32 vectors",
    "queries",
    "load avg",
    "detail",
  ];
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  const rows = results.map((r) => [
    r.size.toLocaleString("en"),
    r.method,
    r.p50Ms.toFixed(2),
    r.p95Ms.toFixed(2),
    r.recallAt10.toFixed(4),
    r.buildSeconds.toFixed(1),
    mb(r.indexBytes),
    r.rssDeltaBytes ? mb(r.rssDeltaBytes) : "—",
    r.rssOverVectors ? `${r.rssOverVectors.toFixed(2)}×` : "—",
    String(r.queries),
    `${r.loadAverage[0]} / ${r.loadAverage[1]} cores`,
    r.detail,
  ]);
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const table = [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
  const environment = {
    node: process.version,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    totalMemoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
  };
  const markdown = [
    `# Retrieval benchmark (${startedAt})`,
    "",
    `${dim}-d synthetic vectors: Gaussian mixture (${MIXTURE.clusters} clusters in ${MIXTURE.groups} groups, spread ${MIXTURE.spread}, seed ${MIXTURE.seed}); ${queryCount} tuning + ${queryCount} evaluation queries from the same mixture; top-${K}. ${environment.cpu}, ${environment.cores} cores, Node ${environment.node}. Total ${totalSeconds.toFixed(0)} s, peak RSS ${peakRss}.`,
    "",
    table,
    "",
  ].join("\n");
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.replace(/[:.]/g, "-");
  fs.writeFileSync(
    path.join(outDir, `retrieval-${stamp}.json`),
    `${JSON.stringify({ startedAt, totalSeconds, dim, k: K, queries: queryCount, mixture: MIXTURE, seeds: SEEDS, tuneTargetRecall: TUNE_TARGET_RECALL, environment, peakRssBytes, phases, results }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(outDir, `retrieval-${stamp}.md`), markdown);
  console.log(
    `\n${table}\n\nwrote ${path.join(outDir, `retrieval-${stamp}.{json,md}`)} (${totalSeconds.toFixed(0)} s, peak RSS ${peakRss})`,
  );
}

main().catch((error: unknown) => {
  if (
    error instanceof UserError ||
    (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))
  ) {
    console.error(`bench:retrieval: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
