/**
 * What the import lets in, on real and derived files: one study is one patient (DICOM by StudyInstanceUID, never
 * two patients merged; loose images one study per file unless R2Gen-laid-out or grouped by the user; views never from
 * order alone), what imports is what decodes (palette colour, 1-bit, float, 32-bit and uncompressed YBR_FULL_422
 * refused with the reason; JPEG-LS RGB without preamble imported), and damaged image data refused, not guessed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Services } from "../../../src-main/services";
import { servicesPerSuite, tempServices } from "../../support/vitest-fixtures";
import {
  jpegLsRgbWithoutPreamble,
  modifiedCopy,
  rleTablePastEnd,
  truncatedStreams,
  unsupportedInputs,
} from "../imaging/derived-files";
import { buildDicom, crChestDataset, DICOM_DIR, IMAGES_DIR, REFERENCE_CR } from "../imaging/imaging-fixtures";

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Three chest PNGs of three different patients (two NIH CXR14 patients, one covid-chestxray case), one folder. */
function threePatientsFolder(): { dir: string; files: string[] } {
  const dir = tmp("rd-three-patients-");
  const sources = [
    path.join(IMAGES_DIR, "nih", "00000001_000.png"),
    path.join(IMAGES_DIR, "nih", "00027426_000.png"),
    path.join(IMAGES_DIR, "covid", "40779_2020_233_Fig2_HTML-a.png"),
  ];
  const files = sources.map((s) => {
    const to = path.join(dir, path.basename(s));
    fs.copyFileSync(s, to);
    return to;
  });
  return { dir, files };
}

const snapshot = (services: Services) => ({
  studies: services.db.prepare("SELECT id, patient_id, description FROM studies ORDER BY id").all(),
  images: services.db.prepare("SELECT id, series_id, file_path, file_sha256, view FROM images ORDER BY id").all(),
});

describe("one study is one patient", () => {
  const services = servicesPerSuite("rd-import-input-");

  it("three PNGs of three patients in one folder are three studies, none with a view guessed from order", async () => {
    const { dir } = threePatientsFolder();
    const result = await services().importer.importPaths([dir]);
    expect(result).toMatchObject({ imagesAdded: 3, failures: [] });
    expect(result.studyIds).toHaveLength(3);
    for (const id of result.studyIds) {
      const study = services().studies.get(id);
      expect(study.images).toHaveLength(1);
      expect(study.images[0]?.view).toBe("unknown");
    }
    // Re-importing the same files changes nothing.
    const before = snapshot(services());
    const again = await services().importer.importPaths([dir]);
    expect(again).toMatchObject({ imagesAdded: 0, imagesUpdated: 0, imagesUnchanged: 3, studyIds: [] });
    expect(snapshot(services())).toEqual(before);
  });

  it("the user can group loose images into one study; re-importing them changes nothing", async () => {
    const { dir, files } = threePatientsFolder();
    fs.renameSync(files[0] as string, path.join(dir, "chest-pa.png"));
    fs.renameSync(files[1] as string, path.join(dir, "chest-lateral.png"));
    const result = await services().importer.importPaths([dir], { looseImages: "one-study" });
    expect(result).toMatchObject({ imagesAdded: 3, failures: [] });
    expect(result.studyIds).toHaveLength(1);
    const study = services().studies.get(result.studyIds[0] as string);
    expect(study.description).toBe(path.basename(dir));
    expect(study.images.map((i) => [path.basename(i.filePath), i.view]).sort()).toEqual([
      ["40779_2020_233_Fig2_HTML-a.png", "unknown"],
      ["chest-lateral.png", "lateral"],
      ["chest-pa.png", "frontal"],
    ]);
    const before = snapshot(services());
    for (const looseImages of ["one-study", "per-file"] as const) {
      const again = await services().importer.importPaths([dir], { looseImages });
      expect(again).toMatchObject({ imagesAdded: 0, imagesUnchanged: 3, studyIds: [] });
    }
    expect(snapshot(services())).toEqual(before);
  });

  it("a DICOM file of another patient with the same StudyInstanceUID is refused, naming both patients", async () => {
    const dir = tmp("rd-conflict-");
    const other = modifiedCopy(dir, REFERENCE_CR, "other-patient.dcm", {
      "(0010,0020)": "OTHER-42",
      "(0010,0010)": "Other^Patient",
      "(0008,0018)": "2.25.4242424242",
    });
    const result = await services().importer.importPaths([REFERENCE_CR, other]);
    expect(result.imagesAdded).toBe(1);
    expect(result.failures).toHaveLength(1);
    const [failure] = result.failures;
    expect(failure?.path).toBe(other);
    expect(failure?.reason).toMatch(/PatientID OTHER-42/);
    const original = services()
      .studies.list()
      .find((s) => s.studyInstanceUid === "1.2.392.200036.9125.0.199302241758.16");
    expect(original?.imageCount).toBe(1);
    expect(failure?.reason).toContain(`"${original?.patientName}"`);
    expect(failure?.reason).toContain('"Other, Patient", PatientID OTHER-42');
    expect(failure?.reason).toMatch(/one study is one patient/);
    console.log(`refused ${path.basename(other)}: ${failure?.reason}`);
  });
});

describe("text at import honours Specific Character Set", () => {
  it("UTF-8 (ISO_IR 192) and Latin-1 (ISO_IR 100) names reach the worklist as written", async () => {
    const services = tempServices("rd-import-input-");
    try {
      const dir = tmp("rd-charset-");
      const utf8 = path.join(dir, "utf8.dcm");
      fs.writeFileSync(
        utf8,
        buildDicom(
          crChestDataset({
            SpecificCharacterSet: "ISO_IR 192",
            PatientName: "Müller^Jörg",
            StudyDescription: "Thorax p.a. – stehend",
            StudyInstanceUID: "2.25.1001",
          }),
        ),
      );
      // Latin-1: written with placeholders, then the bytes of ü (0xFC) and é (0xE9) put in their place.
      const latin1Bytes = buildDicom(
        crChestDataset({
          SpecificCharacterSet: "ISO_IR 100",
          PatientName: "Gr#n^Ren%",
          StudyInstanceUID: "2.25.1002",
        }),
      );
      const at = latin1Bytes.indexOf(Buffer.from("Gr#n^Ren%", "latin1"));
      latin1Bytes[at + 2] = 0xfc;
      latin1Bytes[at + 8] = 0xe9;
      const latin1 = path.join(dir, "latin1.dcm");
      fs.writeFileSync(latin1, latin1Bytes);
      const result = await services.importer.importPaths([utf8, latin1]);
      expect(result.failures).toEqual([]);
      const byUid = new Map(services.studies.list().map((s) => [s.studyInstanceUid, s]));
      expect(byUid.get("2.25.1001")).toMatchObject({
        patientName: "Müller, Jörg",
        description: "Thorax p.a. – stehend",
      });
      expect(byUid.get("2.25.1002")?.patientName).toBe("Grün, René");
    } finally {
      services.close();
    }
  });
});

describe("what imports is what decodes", () => {
  const services = servicesPerSuite("rd-import-input-");
  const dir = tmp("rd-input-");

  it("palette colour, 1-bit, float, 32-bit and uncompressed YBR_FULL_422 are refused with the reason", async () => {
    const inputs = unsupportedInputs(dir);
    const result = await services().importer.importPaths(inputs.map((i) => i.file));
    expect(result.imagesAdded).toBe(0);
    const reasons = new Map(result.failures.map((f) => [f.path, f.reason]));
    for (const input of inputs) {
      expect(reasons.get(input.file), path.basename(input.file)).toMatch(input.reason);
      console.log(`refused ${path.basename(input.file)}: ${reasons.get(input.file)}`);
    }
  });

  it("a JPEG-LS RGB file without preamble is imported, as the engine decodes it", async () => {
    const file = jpegLsRgbWithoutPreamble(dir);
    const result = await services().importer.importPaths([file]);
    expect(result).toMatchObject({ imagesAdded: 1, failures: [] });
    const image = services().studies.get(result.studyIds[0] as string).images[0];
    expect([image?.width, image?.height]).toEqual([685, 756]);
    const row = services().db.prepare("SELECT transfer_syntax FROM images WHERE file_path = ?").get(file) as {
      transfer_syntax: string;
    };
    expect(row.transfer_syntax).toBe("1.2.840.10008.1.2.4.80");
  });
});

describe("damaged image data is refused at import", () => {
  const services = servicesPerSuite("rd-import-input-");
  const dir = tmp("rd-damaged-");

  it("compressed streams cut short inside an intact container, an RLE table past the end, short native pixel data", async () => {
    const damaged = [...truncatedStreams(0.6), ...truncatedStreams(0.2), rleTablePastEnd()];
    const files = damaged.map((d, i) => {
      const file = path.join(dir, `${i}-${d.source}`);
      fs.writeFileSync(file, d.bytes);
      return { ...d, file };
    });
    const short = path.join(dir, "short-pixels.dcm");
    fs.writeFileSync(short, buildDicom(crChestDataset({ Rows: 500 })));
    const result = await services().importer.importPaths([...files.map((f) => f.file), short]);
    expect(result.imagesAdded).toBe(0);
    const reasons = new Map(result.failures.map((f) => [f.path, f.reason]));
    for (const f of files) expect(reasons.get(f.file), f.name).toMatch(f.problem);
    expect(reasons.get(short)).toMatch(/the pixel data is truncated: 387200 bytes present, 440000 needed/);
    console.log(
      `import refused ${result.failures.length}/${files.length + 1} damaged files, e.g. ${path.basename(files[0]!.file)}: ${reasons.get(files[0]!.file)}`,
    );
    expect(fs.readdirSync(DICOM_DIR).length).toBeGreaterThan(0);
  });
});
