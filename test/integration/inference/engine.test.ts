/**
 * The inference engine end to end on a real ONNX model pack and the SQLite retrieval index: a DICOM study and a PNG
 * study go from import through the reports service's draft job (the DraftEngine seam) to a draft and similar cases;
 * a corrupt file and a wrong-model index fail with their clear errors; a request can be cancelled; a missing or
 * damaged pack leaves the application running without drafting, with the reason.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCaseDatabase } from "../../../src-main/db/database";
import { isImagingError } from "../../../src-main/services/imaging";
import { createServices, type Services } from "../../../src-main/services/index";
import { InferenceEngine, studyImagesFrom } from "../../../src-main/services/inference";
import { readModelPackManifest } from "../../../src-main/services/model-pack";
import { ModelMismatchError } from "../../../src-main/services/retrieval/errors";
import { RetrievalService } from "../../../src-main/services/retrieval/retrieval-service";
import { InferenceStatusSchema } from "../../../src-shared/inference-types";
import type { ReportState } from "../../../src-shared/report-types";
import { packForTests } from "./pack-for-tests";

const pack = packForTests();
if (!pack.dir) console.warn(`inference integration tests skipped: ${pack.reason}`);
const shared = path.resolve(import.meta.dirname, "../../../../shared/data");
const DICOM_FILE = path.join(shared, "dicom", "CR-MONO1-10-chest_implicitLE.dcm");
const NIH_PNGS = ["00000001_000.png", "00027426_000.png"].map((n) => path.join(shared, "images", "nih", n));
const COVID_JPEG = path.join(shared, "images", "covid", "41182_2020_203_Fig3_HTML.jpg");
/** The two NIH PNGs as a two-view study: their names say no view, so the caller says which is which. */
const NIH_VIEWS = [
  { path: NIH_PNGS[0]!, view: "frontal" as const },
  { path: NIH_PNGS[1]!, view: "lateral" as const },
];

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

async function waitForJob(services: Services, studyId: string, timeoutMs = 120_000): Promise<ReportState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = services.reports.state(studyId);
    if (state.job.state !== "running") return state;
    if (Date.now() > deadline) throw new Error(`draft job of ${studyId} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!pack.dir)("inference engine on the real model pack", () => {
  const packDir = pack.dir!;
  const manifest = pack.dir ? readModelPackManifest(packDir) : null;
  let dataDir: string;
  let studiesDir: string;
  let services: Services;

  beforeAll(async () => {
    dataDir = tempDir("rd-inference-");
    studiesDir = tempDir("rd-inference-studies-");
    services = createServices({ dataDir, transport: "in-process", modelPackDir: packDir });
    await services.inference.start();
  }, 180_000);

  afterAll(async () => {
    await services?.inference.close();
    services?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(studiesDir, { recursive: true, force: true });
  });

  it("loads the pack at start, reports the model and seeds the index from the gallery once", () => {
    const status = services.inference.status();
    expect(status.state).toBe("ready");
    // What the IPC procedure inference.status returns.
    expect(InferenceStatusSchema.parse(status)).toEqual(status);
    if (status.state !== "ready") return;
    expect(status.name).toBe(manifest!.name);
    expect(status.executionProvider).toMatch(/^(CPU|CUDA)$/);
    expect(services.app.info().model).toEqual({
      name: manifest!.name,
      version: manifest!.version,
      executionProvider: status.executionProvider,
    });
    expect(status.gallery).toEqual({ seeded: true, added: manifest!.gallery.count });
    expect(services.retrieval.count).toBe(manifest!.gallery.count);
    expect(services.retrieval.modelId).toBe(manifest!.embedding.model_id);
  });

  async function draftStudy(paths: string[]): Promise<{ studyId: string; state: ReportState }> {
    const imported = await services.importer.importPaths(paths);
    expect(imported.failures).toEqual([]);
    expect(imported.studyIds).toHaveLength(1);
    const studyId = imported.studyIds[0]!;
    const opened = services.reports.open(studyId);
    expect(opened.job.state).toBe("running");
    return { studyId, state: await waitForJob(services, studyId) };
  }

  async function expectDraft(studyId: string, state: ReportState): Promise<void> {
    expect(state.job.state, state.job.message ?? "").toBe("done");
    expect(state.job.model?.name).toBe(manifest!.name);
    expect(state.job.hasEmbedding).toBe(true);
    const findings = state.draft!.sections.findings;
    expect(findings.length).toBeGreaterThan(0);
    // Display text: sentences in sentence case with full stops, no tokenizer artefacts.
    for (const sentence of findings.split(/(?<=\.)\s+/)) expect(sentence).toMatch(/^[A-Z0-9].*\.$/);
    expect(findings).not.toMatch(/<unk>| \./);
    expect(state.draft!.sections.impression).toBe("");
    expect(state.similarCases).toHaveLength(5);
    // The diagnosis branch's findings (packs with one), in the pack's order, linked to the draft's sentences.
    const heads = manifest!.diagnosis?.findings ?? [];
    expect(state.findingReview.findings.map((f) => f.name)).toEqual(heads.map((f) => f.name));
    for (const f of state.findingReview.findings) {
      expect(f.probability).toBeGreaterThanOrEqual(0);
      expect(f.probability).toBeLessThanOrEqual(1);
      expect(f.positive).toBe(f.reliable && f.probability >= f.threshold);
      for (const s of f.sentences)
        expect(state.draft!.sections[s.section].slice(s.start, s.end).length).toBeGreaterThan(0);
    }
    const similarities = state.similarCases.map((c) => c.similarity);
    expect([...similarities].sort((a, b) => b - a)).toEqual(similarities);
    for (const c of state.similarCases) {
      expect(c.studyId).not.toBe(studyId);
      expect(c.report.length).toBeGreaterThan(0);
      expect(c.labels).toHaveLength(14);
      // Gallery cases carry the pack's thumbnail of their frontal view (packs with gallery thumbnails).
      // served by study id over the file channel (the bytes stay in the index, not in the job row)
      if (manifest!.gallery.thumbnails) {
        expect(c.thumbnailUrl).toBe(`thumbnail/${c.studyId}`);
        const file = await services.files.readFile(c.thumbnailUrl!);
        expect(file.contentType).toBe("image/jpeg");
        expect([...file.bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
      }
    }
    console.log(
      `${studyId}: "${findings}"\n  similar: ${state.similarCases.map((c) => `${c.studyId} ${c.similarity.toFixed(4)}`).join(", ")}`,
    );
  }

  it("drafts a DICOM study (one frontal view) with similar cases from the index", async () => {
    const { studyId, state } = await draftStudy([DICOM_FILE]);
    await expectDraft(studyId, state);
  }, 180_000);

  it("scope gate on the real engine: the hip gets no draft job and no similar cases; a real chest drafts with the model's score", async () => {
    const hip = path.join(shared, "dicom-nonchest", "CR_hip_JPEGLossless.dcm");
    const imported = await services.importer.importPaths([hip]);
    expect(imported.failures).toEqual([]);
    const hipId = imported.studyIds[0]!;
    const opened = services.reports.open(hipId);
    expect(opened.scope).toMatchObject({ outcome: "not-eligible", headline: "CR of the hip", draftAllowed: false });
    expect(opened.job.state).toBe("idle");
    expect(opened.similarCases).toEqual([]);
    expect(services.db.prepare("SELECT count(*) AS n FROM draft_jobs WHERE study_id = ?").get(hipId)).toEqual({ n: 0 });

    // The CR chest of the test above: its score is the real engine's, with the pack's calibrated threshold.
    const chestId = (
      services.db
        .prepare("SELECT se.study_id AS id FROM images i JOIN series se ON se.id = i.series_id WHERE i.file_path = ?")
        .get(DICOM_FILE) as { id: string }
    ).id;
    const scope = services.reports.state(chestId).scope;
    // A pack without a calibration (RADIOLOGY_DRAFT_TEST_PACK, data/dev-pack) has no threshold.
    const calibration = manifest!.scope_calibration
      ? (JSON.parse(fs.readFileSync(path.join(packDir, manifest!.scope_calibration), "utf8")) as { threshold: number })
      : null;
    expect(scope.ood?.threshold ?? null).toBe(calibration?.threshold ?? null);
    expect(scope.ood!.score).toBeGreaterThan(-1);
    console.log(
      `scope of the real CR chest: ${scope.outcome} (${scope.headline}); score ${scope.ood!.score.toFixed(4)}`,
    );
    const threshold = scope.ood!.threshold;
    expect(scope.outcome).toBe(threshold !== null && scope.ood!.score < threshold ? "uncertain" : "eligible");
  }, 180_000);

  it("drafts a two-view PNG study with similar cases from the index", async () => {
    // The R2Gen layout (<study>/0.png, 1.png) makes one study of loose PNGs; other loose images are a study each.
    const folder = path.join(studiesDir, "nih-study");
    fs.mkdirSync(folder);
    for (const [i, file] of NIH_PNGS.entries()) fs.copyFileSync(file, path.join(folder, `${i}.png`));
    const { studyId, state } = await draftStudy([folder]);
    await expectDraft(studyId, state);
    const images = services.studies.get(studyId).images;
    expect(images).toHaveLength(2);
  }, 180_000);

  it("gives the study embedding of the pack's model, unit length, and the same draft for the same images", async () => {
    const engine = services.inference.engine!;
    const a = await engine.generateFromImages(NIH_VIEWS);
    const b = await engine.generateFromImages(NIH_VIEWS);
    expect(a.embedding.modelId).toBe(manifest!.embedding.model_id);
    expect(a.embedding.vector).toHaveLength(manifest!.embedding.dim);
    const norm = Math.sqrt(a.embedding.vector.reduce((s, v) => s + v * v, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(b.tokens).toEqual(a.tokens);
    expect(b.modelFindings).toEqual(a.modelFindings);
    expect(a.modelFindings).toHaveLength(manifest!.diagnosis?.findings.length ?? 0);
    expect(b.findings).toBe(a.findings);
    expect(a.tokens.length).toBeLessThanOrEqual(manifest!.decoding.max_length);
    for (const t of a.tokens) expect(t).toBeLessThan(manifest!.tokenizer.idx2token.length);
    expect(a.rawText.split(" ").length).toBe(a.tokens.length);
    expect(a.views.frontal.path).not.toBe(a.views.lateral.path);
  }, 120_000);

  it("never takes frontal and lateral from the order of loose images: unknown views stay unknown up to the model", async () => {
    const engine = services.inference.engine!;
    const base = (p: string) => path.basename(p);
    // Two loose PNGs whose files and names say no view: refused, naming both, in either order.
    for (const order of [NIH_PNGS, [...NIH_PNGS].reverse()]) {
      const error = await engine.generateFromImages(order.map((p) => ({ path: p }))).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "InferenceError", code: "VIEWS_UNKNOWN" });
      for (const p of order) expect((error as Error).message).toContain(`"${base(p)}"`);
    }
    // The views the caller gives decide, whatever the order of the files.
    for (const [frontal, lateral] of [NIH_PNGS, [...NIH_PNGS].reverse()] as const) {
      const report = await engine.generateFromImages([
        { path: lateral!, view: "lateral" },
        { path: frontal!, view: "frontal" },
      ]);
      expect([report.views.frontal.path, report.views.lateral.path]).toEqual([frontal, lateral]);
      expect(report.views.frontal.source).toBe("override");
      expect(report.views.lateral.duplicated).toBe(false);
    }
    // A file name that says the view decides; the image of unknown view beside it is not read.
    const dir = tempDir("rd-views-");
    try {
      const pa = path.join(dir, "chest-pa.png");
      fs.copyFileSync(NIH_PNGS[1]!, pa);
      const mixed = await engine.generateFromImages([{ path: NIH_PNGS[0]! }, { path: pa }]);
      expect(mixed.views.frontal).toMatchObject({ path: pa, source: "file-name" });
      expect(mixed.views.lateral).toMatchObject({ path: pa, duplicated: true });
      expect(mixed.views.warnings).toContain(
        `image "${base(NIH_PNGS[0]!)}": view unknown, not used for the draft (set its view in the image strip)`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // A single image of unknown view is the study: read for both views, and the warning says its view is unknown.
    const single = await engine.generateFromImages([{ path: COVID_JPEG }]);
    expect(single.views.frontal).toMatchObject({ path: COVID_JPEG, source: "none", confident: false });
    expect(single.views.lateral.duplicated).toBe(true);
    expect(single.views.warnings.join("\n")).toMatch(/view of "41182_2020_203_Fig3_HTML.jpg" is unknown/);
  }, 120_000);

  it("a user-grouped study of loose images drafts only once the user has set the views, from those views", async () => {
    const folder = path.join(studiesDir, "grouped-loose");
    fs.mkdirSync(folder);
    for (const file of [...NIH_PNGS, COVID_JPEG]) fs.copyFileSync(file, path.join(folder, path.basename(file)));
    const imported = await services.importer.importPaths([folder], { looseImages: "one-study" });
    expect(imported.failures).toEqual([]);
    expect(imported.studyIds).toHaveLength(1);
    const studyId = imported.studyIds[0]!;
    const images = () => services.studies.get(studyId).images;
    expect(images().map((i) => i.view)).toEqual(["unknown", "unknown", "unknown"]);
    expect(services.reports.open(studyId).job.state).toBe("running");
    const refused = await waitForJob(services, studyId);
    expect(refused.job.state).toBe("failed");
    expect(refused.job.message).toMatch(/none of the study's 3 images has a known view/);
    for (const file of [...NIH_PNGS, COVID_JPEG]) expect(refused.job.message).toContain(path.basename(file));
    expect(refused.draft).toBeNull();
    expect(refused.similarCases).toEqual([]);

    // The user sets the last file (in path order) as frontal and the first as lateral: the draft reads those.
    const byName = (name: string) => images().find((i) => path.basename(i.filePath) === name)!;
    const frontal = byName(path.basename(NIH_PNGS[1]!));
    const lateral = byName(path.basename(NIH_PNGS[0]!));
    services.importer.setView(frontal.id, "frontal");
    services.importer.setView(lateral.id, "lateral");
    // What the draft job reads (services.index: studyImages) is what the viewer shows.
    const used = await services.inference.engine!.generateFromImages(studyImagesFrom(images()));
    expect([used.views.frontal.path, used.views.lateral.path]).toEqual([frontal.filePath, lateral.filePath]);
    expect(used.views.warnings).toContain(
      `image "${path.basename(COVID_JPEG)}": view unknown, not used for the draft (set its view in the image strip)`,
    );
    services.reports.regenerate(studyId, { replaceUserEdits: false });
    await expectDraft(studyId, await waitForJob(services, studyId));
  }, 180_000);

  it("refuses a corrupt file with an ImagingError naming the file", async () => {
    const dir = tempDir("rd-corrupt-");
    try {
      const truncated = path.join(dir, "truncated.png");
      const bytes = fs.readFileSync(NIH_PNGS[0]!);
      fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 3)));
      const garbage = path.join(dir, "garbage.dcm");
      fs.writeFileSync(garbage, Buffer.alloc(4096, 7));
      for (const [file, code] of [
        [truncated, "CORRUPT_IMAGE"],
        [garbage, "NOT_DICOM"],
      ] as const) {
        const error = await services.inference.engine!.generateFromImages([{ path: file }]).catch((e: unknown) => e);
        expect(isImagingError(error), String(error)).toBe(true);
        if (!isImagingError(error)) return;
        expect(error.code).toBe(code);
        expect(error.message).toContain(file);
      }
      // The engine keeps serving after a failed request.
      const ok = await services.inference.engine!.generateFromImages([{ path: NIH_PNGS[0]! }]);
      expect(ok.tokens.length).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("cancels a running request with an AbortError and serves the next one", async () => {
    const engine = services.inference.engine!;
    const controller = new AbortController();
    const running = engine.generateFromImages(NIH_VIEWS, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === "vision") controller.abort(new Error("the user cancelled"));
      },
    });
    await expect(running).rejects.toMatchObject({ name: "AbortError" });
    const next = await engine.generateFromImages(NIH_VIEWS);
    expect(next.tokens.length).toBeGreaterThan(0);
  }, 120_000);

  it("refuses to search an index that holds another model's vectors, naming both models", async () => {
    const dir = tempDir("rd-wrong-model-");
    const db = openCaseDatabase(path.join(dir, "cases.sqlite"));
    const retrieval = new RetrievalService(db);
    const otherModel = `sha256:${"0".repeat(64)}`;
    retrieval.resetForModel(otherModel, manifest!.embedding.dim);
    const vector = new Float32Array(manifest!.embedding.dim).fill(1);
    retrieval.addCase({
      studyId: "OTHER-MODEL-CASE",
      report: "The lungs are clear.",
      labels: Array(14).fill(null),
      source: "indexed",
      modelId: otherModel,
      vector,
    });
    const engine = await InferenceEngine.start({ packDir, retrieval, warmup: false });
    try {
      const error = await engine.generateFromImages([{ path: NIH_PNGS[0]! }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelMismatchError);
      expect((error as Error).message).toContain(otherModel);
      expect((error as Error).message).toContain(manifest!.embedding.model_id);
      // Seeding the pack's gallery into that index is refused the same way.
      const services2 = createServices({ dataDir: dir, transport: "in-process", modelPackDir: packDir });
      try {
        await services2.inference.start();
        expect(services2.inference.status().state).toBe("ready");
        services2.reports.open((await services2.importer.importPaths([NIH_PNGS[0]!])).studyIds[0]!);
        const studyId = services2.studies.list()[0]!.id;
        const state = await waitForJob(services2, studyId);
        expect(state.job.state).toBe("failed");
        expect(state.job.message).toContain(otherModel);
      } finally {
        await services2.inference.close();
        services2.close();
      }
    } finally {
      await engine.close();
      await retrieval.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("start-up without a usable model pack", () => {
  it("starts without drafting and says why when there is no pack", async () => {
    const dataDir = tempDir("rd-nopack-");
    const empty = tempDir("rd-nopack-models-");
    const services = createServices({ dataDir, transport: "in-process", modelPackDir: empty });
    try {
      await services.inference.start();
      const status = services.inference.status();
      expect(InferenceStatusSchema.parse(status)).toEqual(status);
      expect(status.state).toBe("unavailable");
      if (status.state === "unavailable") expect(status.reason).toContain("manifest.json is missing");
      expect(services.app.info().model).toBeNull();
      expect(services.inference.engine).toBeNull();
    } finally {
      services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);

  it.skipIf(!pack.dir)(
    "refuses a damaged pack with the file at fault, and the app keeps running",
    async () => {
      const dataDir = tempDir("rd-badpack-");
      const copy = tempDir("rd-badpack-pack-");
      fs.cpSync(pack.dir!, copy, { recursive: true });
      const manifest = readModelPackManifest(copy);
      const decoder = path.join(copy, manifest.models.decoder_step.file);
      const bytes = fs.readFileSync(decoder);
      bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
      fs.writeFileSync(decoder, bytes);
      const services = createServices({ dataDir, transport: "in-process", modelPackDir: copy });
      try {
        await services.inference.start();
        const status = services.inference.status();
        expect(status.state).toBe("unavailable");
        if (status.state === "unavailable") {
          expect(status.reason).toContain(manifest.models.decoder_step.file);
          expect(status.reason).toContain("sha256");
        }
        expect(services.app.info().model).toBeNull();
        const studyId = (await services.importer.importPaths([NIH_PNGS[0]!])).studyIds[0]!;
        expect(services.reports.open(studyId).job.state).toBe("unavailable");
      } finally {
        await services.inference.close();
        services.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
        fs.rmSync(copy, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
