/**
 * `npm run index -- --pack DIR --dicomweb <url>` against a real Orthanc: the PACS's signed SRs and their studies'
 * radiographs join the retrieval index (text from the SR's Findings, embedding from the images); a second run adds
 * nothing, an addendum SR replaces its study's case, a new signed study is added; an SR on a hip study is skipped.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCaseDatabase } from "../../src-main/db/database";
import { RetrievalService } from "../../src-main/services/retrieval/retrieval-service";
import { type OrthancProcess, startOrthanc, stowFiles } from "../support/orthanc";
import { demoFiles, HIP_FILE, readHeader, signedSr } from "../support/pacs-fixtures";

const root = path.resolve(import.meta.dirname, "..", "..");
const PACK = path.join(root, "models", "iu-xray-synth-demo");
let pacs: OrthancProcess;
let dataDir: string;
let srDir: string;

function index(): { status: number | null; stdout: string; stderr: string; ms: number } {
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(root, "src-main/cli/index.ts"),
      "--pack",
      PACK,
      "--dicomweb",
      pacs.dicomWebUrl,
      "--user",
      pacs.user,
      "--data-dir",
      dataDir,
    ],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, RADIOLOGY_DRAFT_PACS_PASSWORD: pacs.password },
      timeout: 240_000,
    },
  );
  return { ...run, ms: performance.now() - started };
}

async function stowSr(
  header: ReturnType<typeof readHeader>,
  findings: string,
  id: number,
  signedAt?: string,
): Promise<void> {
  const sr = signedSr(header, { findings, impression: "See findings." }, id, signedAt);
  const file = path.join(srDir, `${id}.dcm`);
  fs.writeFileSync(file, sr.bytes);
  expect(await stowFiles(pacs, [file])).toBe(200);
}

function indexed(): Map<string, string> {
  const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
  try {
    const rows = db.prepare("SELECT study_id, report FROM retrieval_cases WHERE source = 'indexed'").all() as Array<{
      study_id: string;
      report: string;
    }>;
    return new Map(rows.map((r) => [r.study_id, r.report]));
  } finally {
    db.close();
  }
}

const pas = () =>
  demoFiles()
    .filter((f) => f.endsWith("PA.dcm"))
    .map(readHeader);

beforeAll(async () => {
  pacs = await startOrthanc();
  expect(await stowFiles(pacs, [...demoFiles(), HIP_FILE])).toBe(200);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-pacs-"));
  srDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-index-srs-"));
  const [a, b] = pas();
  await stowSr(a!, "Heart size is normal. The lungs are clear.", 1);
  await stowSr(b!, "The heart is enlarged. Small left pleural effusion.", 2);
  await stowSr(readHeader(HIP_FILE), "Degenerative change of the hip joint.", 3);
});

afterAll(async () => {
  await pacs?.stop();
});

describe("npm run index -- --dicomweb", () => {
  it("indexes the PACS's signed reports, then only what is new or changed", async () => {
    const [a, b, c] = pas();
    const first = index();
    const summary = (out: string) => out.split("\n").find((l) => l.startsWith("PACS reports:"));
    console.log(`first run (${first.ms.toFixed(0)} ms): ${summary(first.stdout)}`);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain("3 studies with an SR");
    expect(first.stdout).toMatch(/PACS reports: 2 added, 0 updated, 0 already indexed, 1 skipped, 0 failed/);
    expect(first.stdout).toContain("not a chest radiograph: Body Part Examined is HIP");
    let cases = indexed();
    expect([...cases.keys()].sort()).toEqual([a!.studyInstanceUid, b!.studyInstanceUid].sort());
    expect(cases.get(b!.studyInstanceUid)).toBe("The heart is enlarged. Small left pleural effusion.");
    // The cases carry labels from their text and a vector of the pack's model, and are found by search.
    const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
    const retrieval = new RetrievalService(db);
    const stored = retrieval.getCase(b!.studyInstanceUid)!;
    expect(stored.labels[2]).toBe(1); // Cardiomegaly
    expect(stored.thumbnail?.length ?? 0).toBeGreaterThan(100);
    const hits = await retrieval.search({ modelId: stored.modelId, vector: stored.vector, k: 1 });
    expect(hits[0]?.studyId).toBe(b!.studyInstanceUid);
    await retrieval.close();
    db.close();

    const second = index();
    expect(second.status, second.stderr).toBe(0);
    console.log(`second run (${second.ms.toFixed(0)} ms): ${summary(second.stdout)}`);
    expect(second.stdout).toMatch(/0 added, 0 updated, 2 already indexed, 1 skipped, 0 failed/);

    // An addendum (a newer SR of study a) replaces its case; a newly signed study c is added.
    await stowSr(
      a!,
      "Heart size is normal. The lungs are clear. Addendum: a small right apical pneumothorax.",
      11,
      "2026-12-01T08:00:00.000Z",
    );
    await stowSr(c!, "Lungs are clear. No effusion.", 4);
    const third = index();
    console.log(`third run (${third.ms.toFixed(0)} ms): ${summary(third.stdout)}`);
    expect(third.status, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/1 added, 1 updated, 1 already indexed, 1 skipped, 0 failed/);
    cases = indexed();
    expect(cases.size).toBe(3);
    expect(cases.get(a!.studyInstanceUid)).toContain("Addendum: a small right apical pneumothorax.");
  });
});
