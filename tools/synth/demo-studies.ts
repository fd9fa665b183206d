/**
 * The workstation's demo studies: a handful of test-split IU studies rendered synthetically and written as DICOM
 * (DX, MONOCHROME2, 12 of 16 bits; some Explicit VR Little Endian, some RLE Lossless) under
 * resources/demo-studies/<study id>/PA.dcm and LL.dcm, with index.json describing them.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import dicomParser from "dicom-parser";
import {
  describeFinding,
  type FindingKind,
  findingsOf,
  type StudyFindings,
} from "../../src-main/services/language/report-findings";
import { type IuStudy, loadIuStudies } from "./dataset";
import { quantize } from "./detector";
import { buildDicomImage, decodeRle16, TRANSFER_SYNTAX_UIDS, type TransferSyntaxName, type ViewName } from "./dicom";
import { writeSimulationManifest } from "./manifest";
import type { IuSourcePaths } from "./paths";
import { renderStudy } from "./render";

export const DEMO_SIZE = 512;
/** Field of view about 36 cm across 512 pixels. */
export const DEMO_PIXEL_SPACING_MM = 0.7;

interface DemoRule {
  label: string;
  test: (f: StudyFindings) => boolean;
}

const has = (f: StudyFindings, kinds: FindingKind[], clear = false): boolean =>
  f.spec.findings.some(
    (x) => kinds.includes(x.kind) && x.certainty === "positive" && (!clear || x.severity !== "mild"),
  );

/** Which studies make the demo set: the first test-split study (by id) matching each rule, few other findings. */
export const DEMO_RULES: DemoRule[] = [
  { label: "no rendered findings", test: (f) => f.spec.findings.length === 0 },
  { label: "cardiomegaly", test: (f) => has(f, ["cardiomegaly"], true) && f.spec.findings.length <= 2 },
  { label: "pleural effusion", test: (f) => has(f, ["pleural-effusion"], true) },
  { label: "lung nodule or mass", test: (f) => has(f, ["lung-nodule", "lung-mass"]) },
  { label: "support device", test: (f) => has(f, ["pacemaker", "sternotomy-wires", "central-line"]) },
  { label: "airspace disease", test: (f) => has(f, ["consolidation", "pneumonia", "airspace-opacity"]) },
];

export function selectDemoStudies(
  studies: readonly IuStudy[],
): Array<{ study: IuStudy; findings: StudyFindings; label: string }> {
  const candidates = studies
    .filter((s) => s.split === "test")
    .sort((a, b) => a.uid - b.uid)
    .map((study) => ({ study, findings: findingsOf(study) }));
  const chosen: Array<{ study: IuStudy; findings: StudyFindings; label: string }> = [];
  for (const rule of DEMO_RULES) {
    const hit = candidates.find((c) => !chosen.some((x) => x.study.id === c.study.id) && rule.test(c.findings));
    if (hit) chosen.push({ ...hit, label: rule.label });
  }
  return chosen;
}

export interface DemoFile {
  path: string;
  view: ViewName;
  transferSyntax: TransferSyntaxName;
  bytes: number;
}

export interface DemoStudyEntry {
  id: string;
  label: string;
  findings: string[];
  files: DemoFile[];
}

/** Parses a written file and checks it against what was meant to be written; throws naming the problem. */
export function validateDemoFile(
  bytes: Uint8Array,
  expected: { pixels: Uint16Array; rows: number; columns: number; transfer: TransferSyntaxName; view: ViewName },
  name: string,
): void {
  const ds = dicomParser.parseDicom(bytes);
  const check = (cond: boolean, what: string): void => {
    if (!cond) throw new Error(`${name}: ${what}`);
  };
  check(
    ds.string("x00020010") === TRANSFER_SYNTAX_UIDS[expected.transfer],
    `transfer syntax ${ds.string("x00020010")}`,
  );
  check(ds.string("x00080016") === "1.2.840.10008.5.1.4.1.1.1.1", "SOP class is not DX For Presentation");
  check(ds.string("x00080060") === "DX", "modality is not DX");
  check(ds.string("x00280004") === "MONOCHROME2", "photometric interpretation is not MONOCHROME2");
  check(ds.uint16("x00280010") === expected.rows && ds.uint16("x00280011") === expected.columns, "rows/columns");
  check(ds.uint16("x00280100") === 16 && ds.uint16("x00280101") === 12 && ds.uint16("x00280103") === 0, "bit depth");
  check(ds.string("x00185101") === expected.view, "view position");
  const element = ds.elements.x7fe00010;
  check(element !== undefined, "no pixel data");
  let decoded: Uint16Array;
  if (expected.transfer === "rle") {
    const frame = dicomParser.readEncapsulatedPixelDataFromFragments(ds, element!, 0);
    decoded = decodeRle16(frame, expected.rows, expected.columns);
  } else {
    check(element!.length === expected.rows * expected.columns * 2, `pixel data length ${element!.length}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + element!.dataOffset, element!.length);
    decoded = new Uint16Array(expected.rows * expected.columns);
    for (let i = 0; i < decoded.length; i++) decoded[i] = view.getUint16(i * 2, true);
  }
  for (let i = 0; i < decoded.length; i++) {
    if (decoded[i] !== expected.pixels[i])
      throw new Error(`${name}: pixel ${i} is ${decoded[i]}, expected ${expected.pixels[i]}`);
  }
}

/** dcmtk's view of a file, when dcmtk is installed: dcmdump must parse it without errors or warnings. */
export function dcmtkCheck(filePath: string, transfer: TransferSyntaxName): string | null {
  if (!commandExists("dcmdump")) return null;
  const out = execFileSync("dcmdump", ["-q", "+E", filePath], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (transfer === "rle" && commandExists("dcmdrle")) {
    const tmp = path.join(os.tmpdir(), `synth-dcmdrle-${process.pid}-${path.basename(path.dirname(filePath))}.dcm`);
    execFileSync("dcmdrle", [filePath, tmp], { stdio: ["ignore", "pipe", "pipe"] });
    execFileSync("dcmdump", ["-q", tmp], { stdio: ["ignore", "pipe", "pipe"] });
  }
  return out;
}

export function commandExists(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export interface DemoOptions {
  source: IuSourcePaths;
  outDir: string;
  onStudy?: (entry: DemoStudyEntry) => void;
}

export async function writeDemoStudies(options: DemoOptions): Promise<DemoStudyEntry[]> {
  const { studies } = await loadIuStudies(options.source);
  const selected = selectDemoStudies(studies);
  await mkdir(options.outDir, { recursive: true });
  // Remove earlier study folders so the folder holds exactly this set.
  for (const entry of await readdir(options.outDir, { withFileTypes: true })) {
    if (entry.isDirectory() && /^CXR\d+_/.test(entry.name))
      await rm(path.join(options.outDir, entry.name), { recursive: true });
  }
  const entries: DemoStudyEntry[] = [];
  for (const [index, { study, findings, label }] of selected.entries()) {
    const transfer: TransferSyntaxName = index % 2 === 0 ? "explicit-le" : "rle";
    const rendered = renderStudy(findings.spec, DEMO_SIZE);
    const dir = path.join(options.outDir, study.id);
    await mkdir(dir, { recursive: true });
    const files: DemoFile[] = [];
    for (const [view, plane] of [
      ["PA", rendered.frontal],
      ["LL", rendered.lateral],
    ] as const) {
      const pixels = quantize(plane, 12);
      const bytes = buildDicomImage(
        {
          studyId: study.id,
          uid: study.uid,
          findings: findings.spec.findings,
          patientSex: rendered.anatomy.female ? "F" : "M",
        },
        { pixels, rows: DEMO_SIZE, columns: DEMO_SIZE, view, pixelSpacing: DEMO_PIXEL_SPACING_MM },
        transfer,
      );
      const file = path.join(dir, `${view}.dcm`);
      validateDemoFile(bytes, { pixels, rows: DEMO_SIZE, columns: DEMO_SIZE, transfer, view }, file);
      await writeFile(file, bytes);
      dcmtkCheck(file, transfer);
      files.push({ path: path.relative(options.outDir, file), view, transferSyntax: transfer, bytes: bytes.length });
    }
    const entry: DemoStudyEntry = { id: study.id, label, findings: findings.spec.findings.map(describeFinding), files };
    entries.push(entry);
    options.onStudy?.(entry);
  }
  await writeSimulationManifest(
    path.join(options.outDir, "index.json"),
    "radiology-draft/demo-studies@1",
    "Synthetic radiographs rendered from IU-Xray test-split report findings by tools/synth; not real patients or images.",
    { transferSyntaxes: TRANSFER_SYNTAX_UIDS, studies: entries },
  );
  return entries;
}

export function demoFolderExists(dir: string): boolean {
  return existsSync(path.join(dir, "index.json"));
}
