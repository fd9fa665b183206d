import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../../../src-main/services";
import { ImageFileError } from "../../../src-main/services/files/files-service";
import { formatDicomDate, formatPersonName, ImportService } from "../../../src-main/services/import/import-service";
import type { AppEvent } from "../../../src-shared/domain";
import { servicesPerSuite, tempServices } from "../../support/vitest-fixtures";

const root = path.resolve(import.meta.dirname, "..", "..", "..");
const shared = path.resolve(root, "../shared/data");
const dicomDir = path.join(shared, "dicom");
const nihDir = path.join(shared, "images", "nih");
const dicomFiles = fs.readdirSync(dicomDir).filter((f) => f.endsWith(".dcm"));

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));
const sha256 = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

describe("import of the shared DICOM files", () => {
  let services: Services;
  const events: AppEvent[] = [];
  beforeAll(() => {
    services = tempServices("rd-import-");
    services.events.subscribe((e) => events.push(e));
  });
  afterAll(() => services.close());

  it("imports every file, grouped into studies by StudyInstanceUID, with header fields and checksums", async () => {
    const result = await services.importer.importPaths([dicomDir], { jobId: "test-job" });
    expect(result.failures).toEqual([]);
    expect(result.filesFound).toBe(dicomFiles.length);
    expect(result.imagesAdded).toBe(dicomFiles.length);
    expect(result.jobId).toBe("test-job");

    const studies = services.studies.list();
    // The CR chest and its transcodings share one study; the NIH DX image and its JPEG transcoding another.
    expect(studies.map((s) => s.imageCount).sort((a, b) => a - b)).toEqual([1, 1, 2, 12]);
    expect(result.studyIds.sort()).toEqual(studies.map((s) => s.id).sort());
    const rg1 = studies.find((s) => s.patientId === "9RG1");
    expect(rg1).toMatchObject({
      patientName: "CompressedSamples, RG1",
      studyDate: "2004-08-26",
      description: "THORAX",
    });
    expect(rg1?.studyInstanceUid).toBe("1.3.6.1.4.1.5962.1.2.9.20040826185059.5457");
    expect(studies.every((s) => s.source === "import" && s.status === "new")).toBe(true);

    const cr = studies.find((s) => s.imageCount === 12)!;
    const detail = services.studies.get(cr.id);
    expect(detail.images.every((i) => i.view === "frontal")).toBe(true);
    expect(new Set(detail.images.map((i) => i.viewReason))).toEqual(new Set(['View Position (0018,5101) is "PA"']));
    expect(detail.images.every((i) => i.width === 440 && i.height === 440)).toBe(true);
    // The raw data set without a Part 10 header is read as implicit VR little endian.
    const raw = services.db
      .prepare("SELECT transfer_syntax, file_sha256 FROM images WHERE file_path = ?")
      .get(path.join(dicomDir, "CR-MONO1-10-chest_implicitLE.dcm")) as { transfer_syntax: string; file_sha256: string };
    expect(raw.transfer_syntax).toBe("1.2.840.10008.1.2");
    expect(raw.file_sha256).toBe(sha256(path.join(dicomDir, "CR-MONO1-10-chest_implicitLE.dcm")));
    const j2k = services.db
      .prepare("SELECT transfer_syntax FROM images WHERE file_path = ?")
      .get(path.join(dicomDir, "RG1_CR_chest_J2KI.dcm")) as { transfer_syntax: string };
    expect(j2k.transfer_syntax).toBe("1.2.840.10008.1.2.4.91");

    // No view metadata in the NIH DX files: the order rule makes the first frontal and the second lateral.
    const nih = services.studies.get(studies.find((s) => s.patientId === "Covid0000")!.id);
    expect(nih.images.map((i) => [path.basename(i.filePath), i.view])).toEqual([
      ["NIH_DX_chest_implicitLE.dcm", "frontal"],
      ["derived_NIHDX_JPEGBaseline.dcm", "lateral"],
    ]);
    expect(nih.images[0]?.viewReason).toMatch(/^no view information: the first such image is taken as frontal/);
  });

  it("finds studies by every word of a search: name parts, ID, date, description, modality", () => {
    const ids = (search: string) => services.studies.list({ search }).map((s) => s.patientId);
    // Several words, each matching a different field (the name is stored as CompressedSamples^RG1).
    expect(ids("Compressed RG1")).toEqual(["9RG1"]);
    expect(ids("CompressedSamples, RG1")).toEqual(["9RG1"]);
    expect(ids("rg1 2004-08 thorax")).toEqual(["9RG1"]);
    expect(ids("2004")).toContain("9RG1");
    expect(ids("CR RG1")).toEqual(["9RG1"]);
    // A word that matches nothing leaves nothing, whatever the other words match.
    expect(ids("Compressed RG1 2016")).toEqual([]);
    // LIKE wildcards typed by the user are plain characters.
    expect(ids("%")).toEqual([]);
  });

  it("publishes progress and one studies-changed event, and writes the audit log", () => {
    const progress = events.filter((e) => e.type === "job-progress" && e.jobId === "test-job");
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ done: dicomFiles.length, total: dicomFiles.length });
    const changed = events.filter((e) => e.type === "studies-changed");
    expect(changed).toHaveLength(1);
    const audit = services.db.prepare("SELECT action, study_id, details FROM audit_log ORDER BY id").all() as Array<{
      action: string;
      study_id: string | null;
      details: string;
    }>;
    expect(audit.filter((a) => a.action === "study.imported")).toHaveLength(4);
    const summary = audit.find((a) => a.action === "import")!;
    expect(JSON.parse(summary.details)).toMatchObject({ imagesAdded: dicomFiles.length, failureCount: 0 });
  });

  it("re-importing the same files changes nothing", async () => {
    const before = services.db.prepare("SELECT id, view, file_sha256 FROM images ORDER BY id").all();
    const changedBefore = events.filter((e) => e.type === "studies-changed").length;
    const again = await services.importer.importPaths([dicomDir, path.join(dicomDir, "RG1_CR_chest_J2KI.dcm")]);
    expect(again).toMatchObject({ imagesAdded: 0, imagesUpdated: 0, imagesUnchanged: dicomFiles.length });
    expect(again.failures).toEqual([]);
    expect(again.studyIds).toEqual([]);
    expect(services.db.prepare("SELECT id, view, file_sha256 FROM images ORDER BY id").all()).toEqual(before);
    expect(services.studies.list()).toHaveLength(4);
    expect(events.filter((e) => e.type === "studies-changed").length).toBe(changedBefore);
  });

  it("serves an imported file's bytes by image id, and nothing else", async () => {
    const study = services.studies.list().find((s) => s.patientId === "9RG1")!;
    const sources = await services.files.imageSources(study.id);
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatchObject({
      format: "dicom",
      contentType: "application/dicom",
      fileName: "RG1_CR_chest_J2KI.dcm",
      encoding: "JPEG 2000",
      available: true,
      view: "frontal",
    });
    const file = await services.files.readImage(sources[0]!.imageId);
    expect(file.bytes.equals(fs.readFileSync(path.join(dicomDir, "RG1_CR_chest_J2KI.dcm")))).toBe(true);
    await expect(services.files.readImage("im-unknown")).rejects.toMatchObject({ status: 404 });
    await expect(services.files.readImage("../../etc/passwd")).rejects.toBeInstanceOf(ImageFileError);
    await expect(services.files.readImage("../../etc/passwd")).rejects.toMatchObject({ status: 400 });
  });

  it("lets the user override an image's view", async () => {
    const nih = services.studies.list().find((s) => s.patientId === "Covid0000")!;
    const lateral = services.studies.get(nih.id).images.find((i) => i.view === "lateral")!;
    expect(services.importer.setView(lateral.id, "frontal")).toEqual({
      imageId: lateral.id,
      studyId: nih.id,
      view: "frontal",
    });
    const after = services.studies.get(nih.id).images.find((i) => i.id === lateral.id)!;
    expect(after).toMatchObject({ view: "frontal", viewReason: "user" });
    // A later re-import keeps the user's choice.
    await services.importer.importPaths([dicomDir]);
    expect(services.studies.get(nih.id).images.find((i) => i.id === lateral.id)?.view).toBe("frontal");
    expect(() => services.importer.setView("im-none", "lateral")).toThrow(/no image with id im-none/);
  });
});

describe("import of plain images and bad files", () => {
  const services = servicesPerSuite("rd-import-");

  it("makes one study per loose image, one per R2Gen folder, and tells views from IU-Xray file names only", async () => {
    const dir = tmp("rd-import-png-");
    const study = path.join(dir, "CXR1_1_IM-0001");
    fs.mkdirSync(study);
    const nih = fs.readdirSync(nihDir).filter((f) => f.endsWith(".png"));
    fs.copyFileSync(path.join(nihDir, nih[0]!), path.join(study, "1.png"));
    fs.copyFileSync(path.join(nihDir, nih[1]!), path.join(study, "0.png"));
    const covid = path.join(shared, "images", "covid");
    const result = await services().importer.importPaths([
      dir,
      nihDir,
      path.join(covid, "41182_2020_203_Fig3_HTML.jpg"),
    ]);
    expect(result.failures).toEqual([]);
    expect(result.imagesAdded).toBe(5);
    const studies = services().studies.list();
    // The R2Gen folder is one study; every other loose file is a study of its own (they may be other patients).
    expect(studies.map((s) => s.description).sort()).toEqual(
      ["00000001_000.png", "00027426_000.png", "41182_2020_203_Fig3_HTML.jpg", "CXR1_1_IM-0001"].sort(),
    );
    const iu = services().studies.get(studies.find((s) => s.description === "CXR1_1_IM-0001")!.id);
    expect(iu.studyInstanceUid).toBeNull();
    expect(iu.images.map((i) => [path.basename(i.filePath), i.view, i.viewReason])).toEqual([
      ["0.png", "frontal", 'file name "0.png": 0 is the frontal view (IU-Xray layout)'],
      ["1.png", "lateral", 'file name "1.png": 1 is the lateral view (IU-Xray layout)'],
    ]);
    expect(iu.images.every((i) => i.width === 512 && i.height === 512)).toBe(true);
    // No view in a loose image's file or name: it stays unknown (never guessed from the order of the files).
    const loose = studies.filter((s) => s.description !== "CXR1_1_IM-0001");
    for (const s of loose) {
      const images = services().studies.get(s.id).images;
      expect(images.map((i) => [i.view, i.viewReason])).toEqual([
        ["unknown", "no view information in the file or its name: choose frontal or lateral in the image strip"],
      ]);
    }
    const jpeg = services()
      .studies.list()
      .find((s) => s.description === "41182_2020_203_Fig3_HTML.jpg")!;
    const sources = await services().files.imageSources(jpeg.id);
    expect(sources[0]).toMatchObject({ format: "jpeg", contentType: "image/jpeg", encoding: "JPEG" });
  });

  it("reports each bad file with its reason and imports the rest", async () => {
    const dir = tmp("rd-import-bad-");
    const good = fs.readFileSync(path.join(nihDir, fs.readdirSync(nihDir)[0]!));
    const dicom = fs.readFileSync(path.join(dicomDir, "CR-MONO1-10-chest_explicitLE.dcm"));
    fs.writeFileSync(path.join(dir, "good.png"), good);
    fs.writeFileSync(path.join(dir, "notes.txt"), "not an image\n");
    fs.writeFileSync(path.join(dir, "empty.dcm"), "");
    fs.writeFileSync(path.join(dir, "truncated.png"), good.subarray(0, good.length / 2));
    fs.writeFileSync(path.join(dir, "truncated.dcm"), dicom.subarray(0, 200_000));
    fs.writeFileSync(path.join(dir, ".DS_Store"), "hidden");
    const missing = path.join(dir, "no-such-folder");
    const result = await services().importer.importPaths([dir, missing, "relative/path"]);
    expect(result.imagesAdded).toBe(1);
    const reasons = Object.fromEntries(result.failures.map((f) => [path.basename(f.path), f.reason]));
    expect(Object.keys(reasons).sort()).toEqual(
      ["empty.dcm", "no-such-folder", "notes.txt", "path", "truncated.dcm", "truncated.png"].sort(),
    );
    expect(reasons["notes.txt"]).toBe("not a DICOM, PNG or JPEG file");
    expect(reasons["empty.dcm"]).toBe("empty file");
    expect(reasons["truncated.png"]).toMatch(/^damaged or truncated image/);
    expect(reasons["truncated.dcm"]).toMatch(/truncated/);
    expect(reasons["no-such-folder"]).toBe("no such file or folder");
    expect(reasons.path).toBe("not an absolute path");
  });

  it("refuses to serve a file that changed since import", async () => {
    const dir = tmp("rd-import-change-");
    const file = path.join(dir, "0.png");
    fs.copyFileSync(path.join(nihDir, fs.readdirSync(nihDir)[0]!), file);
    const result = await services().importer.importPaths([file]);
    const [source] = await services().files.imageSources(result.studyIds[0]!);
    expect((await services().files.readImage(source!.imageId)).contentType).toBe("image/png");
    fs.appendFileSync(file, Buffer.from([0]));
    await expect(services().files.readImage(source!.imageId)).rejects.toMatchObject({ status: 409 });
    // Importing it again records the new content.
    const again = await services().importer.importPaths([file]);
    expect(again).toMatchObject({ imagesUpdated: 1, imagesAdded: 0 });
    const [updated] = await services().files.imageSources(result.studyIds[0]!);
    expect((await services().files.readImage(updated!.imageId)).bytes.length).toBe(fs.statSync(file).size);
  });
});

describe("demo studies", () => {
  it("are imported once as source 'demo', and again only when the folder changes", async () => {
    const services = tempServices("rd-import-");
    try {
      const demo = tmp("rd-demo-");
      fs.mkdirSync(path.join(demo, "study-a"));
      fs.copyFileSync(path.join(dicomDir, "RG1_CR_chest_J2KI.dcm"), path.join(demo, "study-a", "frontal.dcm"));
      const importer = new ImportService(services.db, services.events, { demoStudiesDir: demo, actor: "tester" });
      const first = await importer.seedDemoStudies();
      expect(first.status).toBe("seeded");
      expect(services.studies.list().map((s) => s.source)).toEqual(["demo"]);
      expect((await importer.seedDemoStudies()).status).toBe("up-to-date");
      fs.copyFileSync(path.join(dicomDir, "SIIM_CR_chest_JPEGBaseline.dcm"), path.join(demo, "study-a", "b.dcm"));
      const second = await importer.seedDemoStudies();
      expect(second).toMatchObject({ status: "seeded", result: { imagesAdded: 1, imagesUnchanged: 1 } });
      expect(services.studies.list().every((s) => s.source === "demo")).toBe(true);
      const missing = new ImportService(services.db, services.events, { demoStudiesDir: path.join(demo, "none") });
      expect((await missing.seedDemoStudies()).status).toBe("absent");
      const actors = services.db.prepare("SELECT DISTINCT actor FROM audit_log").all();
      expect(actors).toEqual([{ actor: "tester" }]);
    } finally {
      services.close();
    }
  });
});

describe("header formatting", () => {
  it("formats DICOM person names and dates for the worklist", () => {
    expect(formatPersonName("Doe^Jane^M^Dr")).toBe("Doe, Dr Jane M");
    expect(formatPersonName("Anonymized")).toBe("Anonymized");
    expect(formatPersonName("Yamada^Tarou=山田^太郎")).toBe("Yamada, Tarou");
    expect(formatPersonName("")).toBeNull();
    expect(formatDicomDate("20040826")).toBe("2004-08-26");
    expect(formatDicomDate("2004.08.26")).toBe("2004-08-26");
    expect(formatDicomDate("20041399")).toBe("20041399");
    expect(formatDicomDate(null)).toBeNull();
  });
});

describe("views across imports", () => {
  it("a DICOM study imported in two parts: the second part's views count the first's, and the user's choice is kept", async () => {
    const services = tempServices("rd-import-");
    try {
      // The NIH DX image and its JPEG transcoding: one StudyInstanceUID, no view attributes.
      const first = path.join(dicomDir, "NIH_DX_chest_implicitLE.dcm");
      const second = path.join(dicomDir, "derived_NIHDX_JPEGBaseline.dcm");
      await services.importer.importPaths([first]);
      const [study] = services.studies.list();
      expect(services.studies.get(study!.id).images.map((i) => i.view)).toEqual(["frontal"]);
      // The user says the first image is the lateral one; the second image then becomes the frontal one by order.
      const a = services.studies.get(study!.id).images[0]!;
      services.importer.setView(a.id, "lateral");
      await services.importer.importPaths([second]);
      const images = services.studies.get(study!.id).images;
      expect(images.map((i) => [path.basename(i.filePath), i.view, i.viewReason])).toEqual([
        ["derived_NIHDX_JPEGBaseline.dcm", "frontal", "no view information: the first such image is taken as frontal"],
        ["NIH_DX_chest_implicitLE.dcm", "lateral", "user"],
      ]);
    } finally {
      services.close();
    }
  });
});
