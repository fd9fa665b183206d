import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GaussianMixture } from "../../../src-main/bench/synthetic-vectors";
import { type CaseDatabase, openCaseDatabase } from "../../../src-main/db/database";
import { SPLITS } from "../../../src-main/services/language/iu-xray-data";
import { loadAnnotationFile } from "../../../src-main/services/language/iu-xray-dataset";
import { ModelMismatchError, RetrievalError } from "../../../src-main/services/retrieval/errors";
import { exactTopK } from "../../../src-main/services/retrieval/exact-scan";
import { loadIuXrayCaseReports, type RetrievalGallery } from "../../../src-main/services/retrieval/gallery";
import { RetrievalService } from "../../../src-main/services/retrieval/retrieval-service";
import type { CaseInput } from "../../../src-main/services/retrieval/types";

const repoRoot = path.resolve(import.meta.dirname, "../../..");
const annotationPath = path.join(repoRoot, "resources/iu_xray/annotation.json");
const labelsPath = path.join(repoRoot, "resources/iu_xray/report-labels.csv");
const MODEL = "sha256:model-a";
const OTHER_MODEL = "sha256:model-b";
const DIM = 32;

const openDatabases: CaseDatabase[] = [];
function tempDatabasePath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rd-retrieval-")), "cases.sqlite");
}
function open(file: string): CaseDatabase {
  const db = openCaseDatabase(file);
  openDatabases.push(db);
  return db;
}
afterEach(() => {
  for (const db of openDatabases.splice(0)) if (db.open) db.close();
});

const reports = loadIuXrayCaseReports(annotationPath, labelsPath);
const trainIds = loadAnnotationFile(annotationPath).train.map((s) => s.id);

/** A gallery over the real IU train ids with seeded clustered vectors (no model pack is needed for the index). */
function syntheticGallery(modelId: string, count = trainIds.length): RetrievalGallery & { ids: string[] } {
  const mixture = GaussianMixture.create({ dim: DIM, clusters: 40, groups: 5, spread: 1.2, seed: 9 });
  return { modelId, dim: DIM, ids: trainIds.slice(0, count), embeddings: mixture.sample(count, 10) };
}

function caseInput(studyId: string, vector: Float32Array, extra: Partial<CaseInput> = {}): CaseInput {
  return {
    studyId,
    report: `Report of ${studyId}.`,
    labels: [1, 0, null, null, null, -1, null, null, null, 0, 0, null, null, null],
    source: "signed",
    modelId: MODEL,
    vector,
    ...extra,
  };
}

describe("RetrievalService", () => {
  it("seeds the IU gallery once, with the annotation's report and the CSV's labels", () => {
    const db = open(tempDatabasePath());
    const service = new RetrievalService(db);
    expect(service.modelId).toBeNull();
    const gallery = syntheticGallery(MODEL);
    expect(service.seedFromGallery(gallery, reports)).toEqual({ seeded: true, added: trainIds.length });
    expect(service.count).toBe(2069);
    expect(service.seedFromGallery(gallery, reports)).toEqual({ seeded: false, added: 0 });
    expect(service.count).toBe(2069);
    const stored = service.getCase("CXR2384_IM-0942")!;
    expect(stored.report).toMatch(/^The heart size and pulmonary vascularity appear within normal limits/);
    expect(stored.labels).toHaveLength(14);
    expect(stored.labels).toEqual(reports.get("CXR2384_IM-0942")!.labels);
    expect(stored.source).toBe("gallery");
    expect(stored.modelId).toBe(MODEL);
    const info = service.info();
    expect(info).toMatchObject({ modelId: MODEL, dim: DIM, count: 2069, method: "exact" });
    expect(info.bySource.gallery).toBe(2069);
    expect(info.gallerySeededAt).not.toBeNull();
  });

  it("answers exact cosine top-k equal to brute force, never returning an excluded study", async () => {
    const db = open(tempDatabasePath());
    const service = new RetrievalService(db);
    const gallery = syntheticGallery(MODEL);
    service.seedFromGallery(gallery, reports);
    for (const q of [0, 17, 999]) {
      const selfId = gallery.ids[q]!;
      const query = gallery.embeddings.subarray(q * DIM, (q + 1) * DIM);
      const hits = await service.search({ modelId: MODEL, vector: query, k: 10, excludeIds: [selfId] });
      const expected = exactTopK(gallery.embeddings, DIM, gallery.ids.length, query, 10, (row) => row === q);
      expect(hits.map((h) => h.studyId)).toEqual(expected.rows.map((r) => gallery.ids[r]));
      hits.forEach((hit, i) => {
        expect(hit.similarity).toBeCloseTo(expected.scores[i]!, 5);
        expect(hit.report).toBe(reports.get(hit.studyId)!.report);
        expect(hit.labels).toEqual(reports.get(hit.studyId)!.labels);
      });
      expect(hits.some((h) => h.studyId === selfId)).toBe(false);
      // Without the exclusion the study finds itself first, with similarity 1.
      const withSelf = await service.search({ modelId: MODEL, vector: query, k: 1 });
      expect(withSelf[0]!.studyId).toBe(selfId);
      expect(withSelf[0]!.similarity).toBeCloseTo(1, 5);
    }
    expect(await service.search({ modelId: MODEL, vector: gallery.embeddings.subarray(0, DIM) })).toHaveLength(5);
    await expect(
      service.search({ modelId: MODEL, vector: gallery.embeddings.subarray(0, DIM), k: 101 }),
    ).rejects.toThrow(/k must be an integer from 1 to 100/);
    await expect(service.search({ modelId: MODEL, vector: new Float32Array(DIM + 1) })).rejects.toThrow(
      /Float32Array of 32 values/,
    );
  });

  it("adds, replaces and removes cases; a signed case is found by its own vector", async () => {
    const db = open(tempDatabasePath());
    const service = new RetrievalService(db);
    service.seedFromGallery(syntheticGallery(MODEL, 300), reports);
    const vector = new Float32Array(DIM).map((_, i) => (i % 3) - 1);
    service.addCase(caseInput("study-signed-1", vector));
    expect(service.count).toBe(301);
    let hits = await service.search({ modelId: MODEL, vector, k: 3 });
    expect(hits[0]).toMatchObject({ studyId: "study-signed-1", source: "signed" });
    expect(hits[0]!.thumbnailUrl).toBeUndefined();
    expect(hits[0]!.similarity).toBeCloseTo(1, 5);
    // Stored L2-normalised.
    const stored = service.getCase("study-signed-1")!;
    expect(Math.hypot(...stored.vector)).toBeCloseTo(1, 5);

    // Replacing keeps one row and takes the new vector and report.
    const other = new Float32Array(DIM).map((_, i) => (i % 2 ? 1 : -1));
    service.addCase(caseInput("study-signed-1", other, { report: "Amended." }));
    expect(service.count).toBe(301);
    hits = await service.search({ modelId: MODEL, vector: other, k: 1 });
    expect(hits[0]).toMatchObject({ studyId: "study-signed-1", report: "Amended." });

    expect(service.removeCase("study-signed-1")).toBe(true);
    expect(service.removeCase("study-signed-1")).toBe(false);
    expect(service.count).toBe(300);
    hits = await service.search({ modelId: MODEL, vector: other, k: 100 });
    expect(hits.some((h) => h.studyId === "study-signed-1")).toBe(false);
    expect(service.getCase("study-signed-1")).toBeNull();

    // Many removals compact the in-memory matrix; results still match the database's rows.
    for (const id of trainIds.slice(0, 200)) service.removeCase(id);
    expect(service.count).toBe(100);
    hits = await service.search({ modelId: MODEL, vector: other, k: 100 });
    expect(hits).toHaveLength(100);
    expect(new Set(hits.map((h) => h.studyId))).toEqual(new Set(trainIds.slice(200, 300)));
  });

  it("refuses vectors and queries of another model, naming both models", async () => {
    const db = open(tempDatabasePath());
    const service = new RetrievalService(db);
    service.seedFromGallery(syntheticGallery(MODEL, 50), reports);
    const vector = new Float32Array(DIM).fill(1);
    expect(() => service.addCase(caseInput("x", vector, { modelId: OTHER_MODEL }))).toThrow(ModelMismatchError);
    expect(() => service.addCase(caseInput("x", vector, { modelId: OTHER_MODEL }))).toThrow(
      /index holds vectors of model "sha256:model-a", the given vectors are from model "sha256:model-b"/,
    );
    await expect(service.search({ modelId: OTHER_MODEL, vector })).rejects.toThrow(ModelMismatchError);
    expect(() => service.seedFromGallery(syntheticGallery(OTHER_MODEL, 50), reports)).toThrow(ModelMismatchError);
    expect(service.count).toBe(50);
    // The database refuses a foreign row too, whoever writes it.
    expect(() =>
      db
        .prepare(
          "INSERT INTO retrieval_cases (study_id, report, labels, source, model_id, vector) VALUES ('y', '', json_array(1,0,0,0,0,0,0,0,0,0,0,0,0,0), 'signed', ?, zeroblob(128))",
        )
        .run(OTHER_MODEL),
    ).toThrow(/does not match the index model/);

    // Re-seeding for the new model is explicit.
    service.resetForModel(OTHER_MODEL, DIM);
    expect(service.count).toBe(0);
    expect(service.seedFromGallery(syntheticGallery(OTHER_MODEL, 50), reports)).toEqual({ seeded: true, added: 50 });
    expect(service.modelId).toBe(OTHER_MODEL);
  });

  it("validates cases: labels, dimension, zero vectors, thumbnails, unknown gallery ids", () => {
    const db = open(tempDatabasePath());
    const service = new RetrievalService(db);
    const vector = new Float32Array(DIM).fill(1);
    expect(() => service.addCase(caseInput("a", vector))).toThrow(/no model yet/);
    service.resetForModel(MODEL, DIM);
    expect(() => service.addCase(caseInput("a", vector, { labels: [1, 0] }))).toThrow(/14 values/);
    expect(() =>
      service.addCase(caseInput("a", vector, { labels: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] as never })),
    ).toThrow(/label 0 is 2/);
    expect(() => service.addCase(caseInput("a", new Float32Array(DIM - 1)))).toThrow(/Float32Array of 32 values/);
    expect(() => service.addCase(caseInput("a", new Float32Array(DIM)))).toThrow(/zero vector/);
    expect(() => service.addCase(caseInput("a", vector, { thumbnail: new Uint8Array([1, 2, 3, 4, 5]) }))).toThrow(
      /neither PNG nor JPEG/,
    );
    // A failed batch writes nothing.
    expect(() => service.addCases([caseInput("ok", vector), caseInput("bad", new Float32Array(DIM))])).toThrow(
      RetrievalError,
    );
    expect(service.count).toBe(0);
    expect(service.hasCase("ok")).toBe(false);
    const gallery = syntheticGallery(MODEL, 3);
    gallery.ids[1] = "CXR-not-in-the-annotation";
    expect(() => service.seedFromGallery(gallery, reports)).toThrow(/have no report in the annotation.*CXR-not-in/);
  });

  it("keeps the index across a reopen, thumbnails included", async () => {
    const file = tempDatabasePath();
    const gallery = syntheticGallery(MODEL, 400);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]);
    {
      const db = open(file);
      const service = new RetrievalService(db);
      service.seedFromGallery(gallery, reports);
      service.addCase(caseInput("signed-1", gallery.embeddings.subarray(5 * DIM, 6 * DIM), { thumbnail: jpeg }));
      service.removeCase(gallery.ids[7]!);
      db.close();
    }
    const db = open(file);
    const reopened = new RetrievalService(db);
    expect(reopened.modelId).toBe(MODEL);
    expect(reopened.count).toBe(400);
    expect(reopened.hasCase(gallery.ids[7]!)).toBe(false);
    expect(reopened.thumbnail("signed-1")).toEqual(jpeg);
    expect(reopened.seedFromGallery(gallery, reports).seeded).toBe(false);
    const hits = await reopened.search({ modelId: MODEL, vector: gallery.embeddings.subarray(5 * DIM, 6 * DIM), k: 2 });
    expect(new Set(hits.map((h) => h.studyId))).toEqual(new Set([gallery.ids[5], "signed-1"]));
    expect(hits.find((h) => h.studyId === "signed-1")!.thumbnailUrl).toBe("thumbnail/signed-1");
  });

  it("switches to IVF on a large index and still finds >= 0.99 of the exact top 10, new and removed cases included", async () => {
    const dim = 64;
    const mixture = GaussianMixture.create({ dim, clusters: 120, groups: 8, spread: 1.2, seed: 21 });
    const vectors = mixture.sample(6000, 22);
    const db = open(tempDatabasePath());
    const service = new RetrievalService(db, { annMinCases: 3000 });
    service.resetForModel(MODEL, dim);
    const labels = Array(14).fill(null);
    const ids = Array.from({ length: 6000 }, (_, i) => `case-${i}`);
    service.addCases(
      ids.map((studyId, i) => ({
        studyId,
        report: "",
        labels,
        source: "indexed" as const,
        modelId: MODEL,
        vector: vectors.subarray(i * dim, (i + 1) * dim),
      })),
    );
    // The first search is answered exactly while the IVF builds in the background.
    const first = await service.search({ modelId: MODEL, vector: vectors.subarray(0, dim), k: 1 });
    expect(first[0]!.studyId).toBe("case-0");
    expect(service.info().method).toBe("exact");
    await service.prepare();
    const info = service.info();
    expect(info.method).toBe("ivf");
    expect(info.ivf!.nprobe).toBeLessThan(info.ivf!.nlist);
    expect(info.ivf!.calibratedRecallAt10).toBeGreaterThanOrEqual(0.998);

    // Changes after the build: a new case (scanned exactly in the tail) and a removed one (skipped).
    const fresh = mixture.sample(1, 23);
    service.addCase({ studyId: "fresh", report: "", labels, source: "signed", modelId: MODEL, vector: fresh });
    service.removeCase("case-0");
    const queries = mixture.sample(100, 24);
    let found = 0;
    for (let q = 0; q < 100; q++) {
      const query = queries.subarray(q * dim, (q + 1) * dim);
      const hits = await service.search({ modelId: MODEL, vector: query, k: 10 });
      const truth = exactTopK(vectors, dim, 6000, query, 10, (row) => row === 0).rows.map((r) => ids[r]!);
      const got = new Set(hits.map((h) => h.studyId));
      found += truth.filter((id) => got.has(id)).length;
      expect(got.has("case-0")).toBe(false);
    }
    expect(found / 1000).toBeGreaterThanOrEqual(0.99);
    const self = await service.search({ modelId: MODEL, vector: fresh, k: 1 });
    expect(self[0]!.studyId).toBe("fresh");
    await service.close();
  });
});

describe("seeding from a model pack's gallery", () => {
  /** A tiny stand-in JPEG per study (SOI ... EOI, the row in between). */
  const fakeJpeg = (row: number) => new Uint8Array([0xff, 0xd8, 0xff, 0xe0, row & 0xff, row >> 8, 0xff, 0xd9]);
  const withThumbnails = (gallery: RetrievalGallery): RetrievalGallery => ({ ...gallery, thumbnail: fakeJpeg });

  it("seeds every gallery case with the pack's thumbnail, and adds them to an index seeded without", async () => {
    const gallery = syntheticGallery(MODEL, 20);
    const service = new RetrievalService(open(tempDatabasePath()));
    expect(service.seedFromGallery(withThumbnails(gallery), reports)).toEqual({ seeded: true, added: 20 });
    for (const [i, id] of gallery.ids.entries()) expect(service.thumbnail(id)).toEqual(fakeJpeg(i));
    const hits = await service.search({ modelId: MODEL, vector: gallery.embeddings.subarray(0, DIM), k: 5 });
    expect(hits.map((h) => h.thumbnailUrl)).toEqual(hits.map((h) => `thumbnail/${h.studyId}`));

    // An index seeded from the same model's pack before it had thumbnails gets them at the next start.
    const earlier = new RetrievalService(open(tempDatabasePath()));
    expect(earlier.seedFromGallery(gallery, reports)).toEqual({ seeded: true, added: 20 });
    expect(earlier.thumbnail(gallery.ids[0]!)).toBeNull();
    earlier.addCase(caseInput("signed-1", gallery.embeddings.subarray(0, DIM)));
    expect(earlier.seedFromGallery(withThumbnails(gallery), new Map())).toEqual({ seeded: false, added: 0 });
    for (const [i, id] of gallery.ids.entries()) expect(earlier.thumbnail(id)).toEqual(fakeJpeg(i));
    expect(earlier.thumbnail("signed-1")).toBeNull();
    expect(earlier.hasThumbnail("signed-1")).toBe(false);
    expect(earlier.hasThumbnail(gallery.ids[0]!)).toBe(true);
    expect(earlier.fillGalleryThumbnails(withThumbnails(gallery))).toBe(0);
  });

  it("names the problem when the gallery is wrong", () => {
    const gallery = syntheticGallery(MODEL, 20);
    const service = new RetrievalService(open(tempDatabasePath()));
    const unnormalised = { ...gallery, embeddings: gallery.embeddings.map((v) => v * 2) };
    expect(() => service.seedFromGallery(unnormalised, reports)).toThrow(/has norm 2.0000, not 1/);
    expect(() => service.seedFromGallery({ ...gallery, dim: 16 }, reports)).toThrow(
      /20 ids × 16 dimensions needs 320 floats, the vectors have 640/,
    );
  });

  it("covers every IU study with a report and 14 labels", () => {
    const total = SPLITS.reduce((n, split) => n + loadAnnotationFile(annotationPath)[split].length, 0);
    expect(reports.size).toBe(total);
    for (const entry of reports.values()) expect(entry.labels).toHaveLength(14);
  });
});
