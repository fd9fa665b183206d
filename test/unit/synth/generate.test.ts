import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { createManifest, loadIuXrayDataset } from "../../../src-main/services/language/iu-xray-dataset";
import { findingsOf } from "../../../src-main/services/language/report-findings";
import { loadIuStudies } from "../../../tools/synth/dataset";
import { FINDINGS_FORMAT, generateDataset } from "../../../tools/synth/generate";
import { defaultIuSourcePaths } from "../../../tools/synth/paths";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("generator output (R2Gen layout)", () => {
  it("writes frontal and lateral 8-bit grayscale PNGs per study and the annotation of the rendered studies", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), "synth-gen-"));
    dirs.push(out);
    const ids = ["CXR2926_IM-1328", "CXR260_IM-1090", "CXR3537_IM-1730"];
    let progress = 0;
    const result = await generateDataset({
      source: defaultIuSourcePaths(),
      outDir: out,
      size: 96,
      workers: 2,
      ids,
      batch: 1,
      onProgress: (done) => {
        progress = done;
      },
    });
    expect(result.studies).toBe(3);
    expect(progress).toBe(3);
    for (const id of ids) {
      for (const view of ["0.png", "1.png"]) {
        const meta = await sharp(path.join(out, "images", id, view)).metadata();
        expect(meta).toMatchObject({ width: 96, height: 96, channels: 1, depth: "uchar", format: "png" });
      }
    }
    const annotation = JSON.parse(await readFile(path.join(out, "annotation.json"), "utf8"));
    const listed = [...annotation.train, ...annotation.val, ...annotation.test].map((e: { id: string }) => e.id).sort();
    expect(listed).toEqual(ids.slice().sort());
    expect(annotation.test.map((e: { image_path: string[] }) => e.image_path)).toEqual([
      ["CXR260_IM-1090/0.png", "CXR260_IM-1090/1.png"],
    ]);
    const synthetic = JSON.parse(await readFile(path.join(out, "synthetic.json"), "utf8"));
    expect(synthetic.simulation).toBe(true);

    // findings.json: what was drawn per study, finding for finding the RenderSpec's (kind, certainty).
    const findings = JSON.parse(await readFile(path.join(out, "findings.json"), "utf8"));
    expect(findings.format).toBe(FINDINGS_FORMAT);
    expect(Object.keys(findings.studies).sort()).toEqual(ids.slice().sort());
    const { studies } = await loadIuStudies(defaultIuSourcePaths());
    let drawnTotal = 0;
    for (const id of ids) {
      const spec = findingsOf(studies.find((s) => s.id === id)!).spec;
      const drawn = findings.studies[id] as Array<{ kind: string; certainty: string; side?: string }>;
      expect(drawn.map((f) => [f.kind, f.certainty])).toEqual(spec.findings.map((f) => [f.kind, f.certainty]));
      for (const f of drawn) if (f.side) expect(["left", "right", "bilateral"]).toContain(f.side);
      drawnTotal += drawn.length;
    }
    expect(drawnTotal).toBeGreaterThan(0);

    // The dataset manifest carries them beside the CheXpert labels.
    const dataset = loadIuXrayDataset({ root: out, annotationPath: path.join(out, "annotation.json") });
    const manifest = createManifest(dataset, "2026-01-01T00:00:00.000Z");
    expect(manifest.drawn_findings_source).toMatchObject({ file: "findings.json", format: FINDINGS_FORMAT });
    for (const study of manifest.studies) {
      expect(study.labels).toHaveLength(14);
      expect(study.drawn_findings).toEqual(findings.studies[study.id]);
    }

    // A findings.json that lacks a rendered study is refused, naming it.
    delete findings.studies[ids[0]!];
    await writeFile(path.join(out, "findings.json"), JSON.stringify(findings));
    const partial = loadIuXrayDataset({ root: out, annotationPath: path.join(out, "annotation.json") });
    expect(() => createManifest(partial)).toThrow(new RegExp(`no entry in the dataset's findings.json: ${ids[0]}`));
    await writeFile(path.join(out, "findings.json"), JSON.stringify({ ...findings, format: "x" }));
    expect(() => loadIuXrayDataset({ root: out, annotationPath: path.join(out, "annotation.json") })).toThrow(
      /findings.json: not a radiology-draft\/synthetic-findings@1 file \(format/,
    );
  });

  it("rejects unknown study ids, naming them", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), "synth-gen-"));
    dirs.push(out);
    await expect(generateDataset({ source: defaultIuSourcePaths(), outDir: out, ids: ["CXR0_NOPE"] })).rejects.toThrow(
      /unknown study id\(s\): CXR0_NOPE/,
    );
  });
});
