/**
 * npm run index -- --pack <model pack dir> [--data-dir DIR] [--annotation FILE] [--labels FILE] [--reset]
 *   Seeds the similar-case index of the case database with the pack's retrieval gallery (train-split ids and
 *   embeddings), report text and labels from the IU-Xray annotation and labels CSV (default: resources/iu_xray).
 *   Seeding happens once; a later run reports that the gallery is already in. An index of another model is refused
 *   unless --reset is given (the index is then emptied and re-seeded for the pack's model).
 *
 * npm run index -- --pack <dir> --dataset <data/<dataset>/manifest.json> [--split train,val,test] [--no-thumbnails]
 *                    [--embed-all | --gallery-only]
 *   Builds or extends the index from a dataset manifest: report text and labels from the manifest, a thumbnail of
 *   each study's frontal image, and the study's embedding: from the pack's gallery where it has one, otherwise
 *   computed from the study's images by the inference engine on the pack (vision encoder). --embed-all computes
 *   every embedding from the images; --gallery-only skips studies the gallery lacks instead.
 *
 * npm run index -- --pack <dir> --dicomweb <base-url> [--user U --password P | --token T] [--ca FILE.pem]
 *   Pulls the signed SRs of a PACS and their studies' radiographs into the index (./index-dicomweb.ts, docs/pacs.md).
 *
 * npm run index -- --info [--data-dir DIR]
 *   Prints what the index holds.
 *
 * The case database is <data dir>/cases.sqlite (--data-dir, else RADIOLOGY_DRAFT_DATA_DIR, else the platform's
 * user-data folder), the same file the workstation opens.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import sharp from "sharp";
import { z } from "zod";
import { openCaseDatabase } from "../db/database";
import { resolveDataDir } from "../paths";
import { type InferenceEngine, InferenceError, readCaseReports, startInferenceCore } from "../services/inference";
import { DatasetInputError } from "../services/language/iu-xray-dataset";
import { OBSERVATION_COUNT } from "../services/language/observations";
import { ModelMismatchError, RetrievalError } from "../services/retrieval/errors";

import { RetrievalService } from "../services/retrieval/retrieval-service";
import type { CaseInput } from "../services/retrieval/types";
import { DICOMWEB_OPTIONS } from "./dicomweb-cli-support";
import { indexFromDicomWeb } from "./index-dicomweb";

class UserError extends Error {}

const THUMBNAIL_SIZE = 128;
const SPLITS = ["train", "val", "test"] as const;

const manifestSchema = z.object({
  format: z.literal("radiology-draft/dataset-manifest@1"),
  dataset: z.string(),
  root: z.string().min(1),
  studies: z.array(
    z.object({
      id: z.string().min(1),
      split: z.enum(SPLITS),
      report: z.string(),
      labels: z.array(z.union([z.literal(1), z.literal(0), z.literal(-1), z.null()])).length(OBSERVATION_COUNT),
      images: z.array(z.string().min(1)),
    }),
  ),
});
type DatasetManifest = z.infer<typeof manifestSchema>;

function readManifest(file: string): DatasetManifest {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new UserError(`${file}: cannot read the dataset manifest (${(error as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${file}: not a dataset manifest (${issue.path.join(".") || "root"}: ${issue.message})`);
  }
  return parsed.data;
}

function progressBar(label: string, total: number): cliProgress.SingleBar {
  const bar = new cliProgress.SingleBar(
    { format: `${label.padEnd(22)} [{bar}] {percentage}% {value}/{total} {eta_formatted} left`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

async function thumbnailOf(imagePath: string): Promise<Uint8Array> {
  try {
    return await sharp(imagePath)
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "inside" })
      .grayscale()
      .jpeg({ quality: 80 })
      .toBuffer();
  } catch (error) {
    throw new UserError(`${imagePath}: cannot make a thumbnail (${(error as Error).message})`);
  }
}

function printInfo(service: RetrievalService, databasePath: string): void {
  const info = service.info();
  console.log(`index in ${databasePath}`);
  console.log(`  model:   ${info.modelId ?? "(none yet)"}${info.dim ? ` (${info.dim}-d)` : ""}`);
  console.log(
    `  cases:   ${info.count} (gallery ${info.bySource.gallery}, signed ${info.bySource.signed}, indexed ${info.bySource.indexed})`,
  );
  console.log(`  gallery: ${info.gallerySeededAt ? `seeded ${info.gallerySeededAt}` : "not seeded"}`);
  console.log(`  search:  ${info.method}`);
}

interface DatasetOptions {
  splits: readonly string[];
  thumbnails: boolean;
  /** "gallery-first" (default), "embed-all" or "gallery-only". */
  embeddings: "gallery-first" | "embed-all" | "gallery-only";
}

async function indexDataset(
  service: RetrievalService,
  engine: InferenceEngine,
  manifest: DatasetManifest,
  manifestPath: string,
  options: DatasetOptions,
): Promise<void> {
  const { gallery } = engine;
  const rowOf =
    options.embeddings === "embed-all" ? new Map<string, number>() : new Map(gallery.ids.map((id, i) => [id, i]));
  const wanted = manifest.studies.filter((s) => options.splits.includes(s.split));
  const studies = options.embeddings === "gallery-only" ? wanted.filter((s) => rowOf.has(s.id)) : wanted;
  const skipped = wanted.length - studies.length;
  if (studies.length === 0)
    throw new UserError(
      `${manifestPath}: none of its ${wanted.length} ${options.splits.join("/")} studies has an embedding in the pack's gallery`,
    );
  const toEmbed = studies.filter((s) => !rowOf.has(s.id)).length;
  if (toEmbed > 0) console.log(`embedding ${toEmbed} studies from their images`);
  const bar = progressBar("index studies", studies.length);
  const batch: CaseInput[] = [];
  const failures: string[] = [];
  let written = 0;
  let embedded = 0;
  const flush = () => {
    written += service.addCases(batch);
    batch.length = 0;
  };
  try {
    for (const [n, study] of studies.entries()) {
      const row = rowOf.get(study.id);
      const imagePaths = study.images.map((image) => path.resolve(manifest.root, image));
      let vector: Float32Array;
      let thumbnail: Uint8Array | null = null;
      if (row !== undefined) {
        vector = gallery.embeddings.subarray(row * gallery.dim, (row + 1) * gallery.dim);
        if (options.thumbnails && imagePaths[0]) thumbnail = await thumbnailOf(imagePaths[0]);
      } else {
        try {
          // The manifest lists the frontal image first, the lateral second (R2Gen layout).
          const result = await engine.embedStudy(
            imagePaths.map((p, i) => ({ path: p, view: i === 0 ? ("frontal" as const) : ("lateral" as const) })),
            { thumbnail: options.thumbnails },
          );
          vector = result.vector;
          thumbnail = result.thumbnail;
          embedded++;
        } catch (error) {
          if (!(error instanceof InferenceError)) throw error;
          failures.push(`${study.id}: ${error.message}`);
          bar.update(n + 1);
          continue;
        }
      }
      batch.push({
        studyId: study.id,
        report: study.report,
        labels: study.labels,
        source: "indexed",
        modelId: gallery.modelId,
        vector,
        thumbnail,
      });
      if (batch.length === 256) flush();
      bar.update(n + 1);
    }
    flush();
  } finally {
    bar.stop();
  }
  console.log(
    `indexed ${written} studies of ${manifestPath} (${embedded} embedded from their images, ${written - embedded} from the pack's gallery)${options.thumbnails ? " with thumbnails" : ""}`,
  );
  if (skipped > 0)
    console.log(`skipped ${skipped} studies without an embedding in the pack's gallery (--gallery-only)`);
  if (failures.length > 0) {
    for (const failure of failures.slice(0, 10)) console.error(`index: ${failure}`);
    throw new UserError(`${failures.length} studies could not be embedded (first ones above); the others were indexed`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pack: { type: "string" },
      dataset: { type: "string" },
      split: { type: "string", default: SPLITS.join(",") },
      "no-thumbnails": { type: "boolean", default: false },
      "embed-all": { type: "boolean", default: false },
      "gallery-only": { type: "boolean", default: false },
      annotation: { type: "string" },
      labels: { type: "string" },
      reset: { type: "boolean", default: false },
      info: { type: "boolean", default: false },
      "data-dir": { type: "string" },
      ...DICOMWEB_OPTIONS,
    },
    strict: true,
    allowPositionals: false,
  });
  const dataDir = resolveDataDir(values["data-dir"]);
  const databasePath = path.join(dataDir, "cases.sqlite");
  if (!values.info && !values.pack)
    throw new UserError("give --pack <model pack dir> (optionally with --dataset <manifest.json>), or --info");
  const splits = values.split.split(",").map((s) => s.trim());
  for (const split of splits)
    if (!(SPLITS as readonly string[]).includes(split))
      throw new UserError(`--split: unknown split "${split}" (known: ${SPLITS.join(", ")})`);

  if (values["embed-all"] && values["gallery-only"])
    throw new UserError("--embed-all and --gallery-only exclude each other");
  const packDir = values.info || !values.pack ? null : path.resolve(values.pack);
  // Inputs a user can get wrong are read before the engine starts; the seeding reads the gallery's report text.
  const manifestPath = values.dataset ? path.resolve(values.dataset) : null;
  const manifest = packDir && manifestPath && values.dicomweb === undefined ? readManifest(manifestPath) : null;
  const caseReports =
    packDir && !manifestPath && values.dicomweb === undefined
      ? readCaseReports(
          values.annotation ? path.resolve(values.annotation) : undefined,
          values.labels ? path.resolve(values.labels) : undefined,
        )
      : undefined;
  if (caseReports?.error) throw caseReports.error;
  // The same start-up as the app (startInferenceCore): the engine's worker reads the pack once, and the gallery it
  // read is the one the index gets (docs/retrieval.md).
  const engine = packDir
    ? (
        await startInferenceCore({
          packDir,
          retrieval: null,
          ...(caseReports ? { caseReports } : {}),
          engine: { warmup: false },
        })
      ).engine
    : null;
  let db: ReturnType<typeof openCaseDatabase> | null = null;
  let service: RetrievalService | null = null;
  try {
    db = openCaseDatabase(databasePath);
    const bar = engine ? progressBar("load index", 1) : null;
    service = new RetrievalService(db, {
      onLoadProgress: (done, total) => {
        bar?.setTotal(Math.max(1, total));
        bar?.update(done);
      },
    });
    bar?.stop();
    if (values.info) {
      printInfo(service, databasePath);
      return;
    }
    if (!engine) return;
    const { gallery } = engine;
    if (values.reset && service.modelId !== null) {
      console.log(`reset: removing ${service.count} cases of model ${service.modelId}`);
      service.resetForModel(gallery.modelId, gallery.dim);
    }
    if (values.dicomweb !== undefined) {
      if (values.dataset) throw new UserError("--dicomweb and --dataset exclude each other");
      const { failed } = await indexFromDicomWeb(values, {
        db,
        retrieval: service,
        engine,
        dataDir,
        thumbnails: !values["no-thumbnails"],
      }).catch((error: unknown) => {
        throw error instanceof Error && error.constructor.name === "UserError" ? new UserError(error.message) : error;
      });
      if (failed > 0)
        throw new UserError(`${failed} PACS studies could not be indexed (listed above); the others were`);
    } else if (manifest && manifestPath) {
      if (service.modelId === null) service.resetForModel(gallery.modelId, gallery.dim);
      await indexDataset(service, engine, manifest, manifestPath, {
        splits,
        thumbnails: !values["no-thumbnails"],
        embeddings: values["embed-all"] ? "embed-all" : values["gallery-only"] ? "gallery-only" : "gallery-first",
      });
    } else {
      const seedBar = progressBar("seed gallery", gallery.ids.length);
      const result = service.seedFromGallery(gallery, caseReports?.reports ?? new Map(), (done) =>
        seedBar.update(done),
      );
      seedBar.stop();
      console.log(
        result.seeded
          ? `seeded ${result.added} gallery cases of model ${gallery.modelId}`
          : `the gallery of model ${gallery.modelId} is already in the index (nothing to do)`,
      );
    }
    printInfo(service, databasePath);
  } finally {
    await service?.close();
    db?.close();
    await engine?.close();
  }
}

main().catch((error: unknown) => {
  const userFacing =
    error instanceof UserError ||
    error instanceof RetrievalError ||
    error instanceof DatasetInputError ||
    error instanceof InferenceError ||
    (error instanceof Error && (error.name === "DatabaseError" || error.name === "ModelPackError")) ||
    (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"));
  console.error(
    `index: ${userFacing ? (error as Error).message : error instanceof Error ? error.stack : String(error)}`,
  );
  if (error instanceof ModelMismatchError)
    console.error("index: run again with --reset to empty the index and seed the new model's gallery");
  process.exitCode = 1;
});
