import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import dicomParser from "dicom-parser";
import { afterAll, describe, expect, it } from "vitest";
import { commandExists, validateDemoFile } from "../../../tools/synth/demo-studies";
import { buildDicomImage, decodeRle16, encodeRle16, RLE_LOSSLESS } from "../../../tools/synth/dicom";
import { DEMO_STUDIES_DIR, defaultIuSourcePaths } from "../../../tools/synth/paths";
import { rngFor } from "../../../tools/synth/prng";

const tmpDirs: string[] = [];
afterAll(async () => {
  await Promise.all(tmpDirs.map((d) => rm(d, { recursive: true, force: true })));
});

function testPixels(rows: number, columns: number): Uint16Array {
  const rng = rngFor("dicom-test", "pixels");
  const px = new Uint16Array(rows * columns);
  for (let i = 0; i < px.length; i++) {
    const x = i % columns;
    // flat runs, gradients and noise, to exercise both PackBits run kinds
    px[i] = x < columns / 3 ? 100 : x < (2 * columns) / 3 ? (x * 37) % 4096 : rng.int(0, 4095);
  }
  return px;
}

describe("RLE Lossless codec", () => {
  it("round-trips 12-bit pixels through 2 byte-plane segments", () => {
    const px = testPixels(37, 129);
    const frame = encodeRle16(px, 37, 129);
    expect(new DataView(frame.buffer).getUint32(0, true)).toBe(2);
    expect(frame.length % 2).toBe(0);
    expect(Array.from(decodeRle16(frame, 37, 129))).toEqual(Array.from(px));
  });
});

describe("DICOM writer", () => {
  const study = { studyId: "CXR42_IM-2024", uid: 42, findings: [], patientSex: "F" as const };

  it("writes Part 10 DX files that re-parse with the same pixels in both transfer syntaxes", () => {
    const px = testPixels(64, 48);
    for (const transfer of ["explicit-le", "rle"] as const) {
      const bytes = buildDicomImage(
        study,
        { pixels: px, rows: 64, columns: 48, view: "LL", pixelSpacing: 0.7 },
        transfer,
      );
      expect(Buffer.from(bytes.subarray(128, 132)).toString("latin1")).toBe("DICM");
      validateDemoFile(bytes, { pixels: px, rows: 64, columns: 48, transfer, view: "LL" }, `inline ${transfer}`);
      const ds = dicomParser.parseDicom(bytes);
      expect(ds.string("x00100010")).toBe("SYNTHETIC^IU CXR0042");
      expect(ds.string("x00081030")).toMatch(/SYNTHETIC RENDERING/);
      expect(ds.string("x00180015")).toBe("CHEST");
      expect(ds.string("x00280030")).toBe("0.7000\\0.7000");
      expect(ds.string("x00181164")).toBe("0.7000\\0.7000");
      expect(ds.string("x00200062")).toBe("U");
      expect(ds.string("x0020000d")).toMatch(/^2\.25\.\d+$/);
    }
  });

  it("derives the same UIDs for the same study every time", () => {
    const px = testPixels(8, 8);
    const a = dicomParser.parseDicom(
      buildDicomImage(study, { pixels: px, rows: 8, columns: 8, view: "PA", pixelSpacing: 0.7 }, "rle"),
    );
    const b = dicomParser.parseDicom(
      buildDicomImage(study, { pixels: px, rows: 8, columns: 8, view: "PA", pixelSpacing: 0.7 }, "rle"),
    );
    expect(a.string("x00080018")).toBe(b.string("x00080018"));
    expect(a.string("x0020000d")).toBe(b.string("x0020000d"));
  });

  it.runIf(commandExists("dcmdrle"))("decodes with dcmtk to the same pixels (independent RLE decoder)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "synth-dicom-"));
    tmpDirs.push(dir);
    const px = testPixels(40, 30);
    const file = path.join(dir, "rle.dcm");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      file,
      buildDicomImage(study, { pixels: px, rows: 40, columns: 30, view: "PA", pixelSpacing: 0.7 }, "rle"),
    );
    const decoded = path.join(dir, "decoded.dcm");
    execFileSync("dcmdrle", [file, decoded]);
    const bytes = new Uint8Array(readFileSync(decoded));
    validateDemoFile(bytes, { pixels: px, rows: 40, columns: 30, transfer: "explicit-le", view: "PA" }, decoded);
  });
});

describe("committed demo studies (resources/demo-studies)", () => {
  const index = JSON.parse(readFileSync(path.join(DEMO_STUDIES_DIR, "index.json"), "utf8")) as {
    simulation: boolean;
    studies: Array<{ id: string; files: Array<{ path: string; view: "PA" | "LL"; transferSyntax: string }> }>;
  };

  it("lists 4-6 test-split studies, both views, uncompressed and RLE, under 6 MB", () => {
    expect(index.simulation).toBe(true);
    expect(index.studies.length).toBeGreaterThanOrEqual(4);
    expect(index.studies.length).toBeLessThanOrEqual(6);
    const files = index.studies.flatMap((s) => s.files);
    expect(new Set(files.map((f) => f.transferSyntax))).toEqual(new Set(["explicit-le", "rle"]));
    let total = 0;
    for (const f of files) {
      const p = path.join(DEMO_STUDIES_DIR, f.path);
      expect(existsSync(p), p).toBe(true);
      total += readFileSync(p).length;
    }
    expect(total).toBeLessThan(6 * 1024 * 1024);
    const annotation = JSON.parse(readFileSync(defaultIuSourcePaths().annotationPath, "utf8")) as {
      test: Array<{ id: string }>;
    };
    const testIds = new Set(annotation.test.map((e) => e.id));
    for (const s of index.studies) expect(testIds.has(s.id), s.id).toBe(true);
  });

  it("has coherent patient, study, series and instance identity per study", () => {
    for (const s of index.studies) {
      const [pa, ll] = ["PA", "LL"].map((view) => {
        const f = s.files.find((x) => x.view === view)!;
        return dicomParser.parseDicom(new Uint8Array(readFileSync(path.join(DEMO_STUDIES_DIR, f.path))));
      }) as [dicomParser.DataSet, dicomParser.DataSet];
      expect(pa.string("x00100020")).toBe(ll.string("x00100020"));
      expect(pa.string("x0020000d")).toBe(ll.string("x0020000d"));
      expect(pa.string("x0020000e")).not.toBe(ll.string("x0020000e"));
      expect(pa.string("x00080018")).not.toBe(ll.string("x00080018"));
      expect(pa.string("x00185101")).toBe("PA");
      expect(ll.string("x00185101")).toBe("LL");
      for (const ds of [pa, ll]) {
        expect(ds.string("x00080016")).toBe("1.2.840.10008.5.1.4.1.1.1.1");
        expect(ds.string("x00080060")).toBe("DX");
        expect(ds.string("x00280004")).toBe("MONOCHROME2");
        expect(ds.uint16("x00280100")).toBe(16);
        expect(ds.uint16("x00280101")).toBe(12);
        expect(ds.string("x00080018")).toBe(ds.string("x00020003"));
        expect(ds.string("x00281050")).toBeTruthy();
        expect(ds.string("x00281051")).toBeTruthy();
        expect(ds.string("x00281053")).toBe("1");
        expect(ds.string("x00080020")).toMatch(/^\d{8}$/);
        if (ds.string("x00020010") === RLE_LOSSLESS) {
          const frame = dicomParser.readEncapsulatedPixelDataFromFragments(ds, ds.elements.x7fe00010!, 0);
          expect(decodeRle16(frame, 512, 512).length).toBe(512 * 512);
        }
      }
    }
  });

  it.runIf(commandExists("dcmdump"))("parses cleanly with dcmtk's dcmdump", () => {
    for (const f of index.studies.flatMap((s) => s.files)) {
      const out = execFileSync("dcmdump", ["-q", "+E", path.join(DEMO_STUDIES_DIR, f.path)], { encoding: "utf8" });
      expect(out).toContain("DigitalXRayImageStorageForPresentation");
    }
  });
});
