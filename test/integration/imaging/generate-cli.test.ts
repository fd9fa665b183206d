/**
 * `npm run generate` on damaged input: one line naming the file and the problem, exit code 1, no stack trace and no
 * draft — checked before the model pack loads. Files of two patients are refused the same way.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { modifiedCopy, truncatedStreams } from "../../unit/imaging/derived-files";
import { REFERENCE_CR, REPO_ROOT, tempDir } from "../../unit/imaging/imaging-fixtures";

const tmp = tempDir("generate-cli-");
afterAll(() => tmp.cleanup());

function generate(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(REPO_ROOT, "src-main/cli/generate.ts"), ...args, "--cpu"],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, RADIOLOGY_DRAFT_DATA_DIR: path.join(tmp.dir, "data") },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("a JPEG 2000 file whose codestream is cut short: one line naming the file and the problem, no draft", async () => {
  const damaged = truncatedStreams(0.5).find((d) => d.source === "RG1_CR_chest_J2KI.dcm");
  if (!damaged) throw new Error("no RG1 mutant");
  const file = path.join(tmp.dir, "RG1-cut.dcm");
  fs.writeFileSync(file, damaged.bytes);
  const run = await generate([file]);
  console.log(`generate ${path.basename(file)}: exit ${run.code}, stderr: ${run.stderr.trim()}`);
  expect(run.code).toBe(1);
  expect(run.stderr.trim().split("\n")).toEqual([
    `error: ${file}: the JPEG 2000 codestream has no EOC marker (FFD9) at its end: it is truncated; no draft was made`,
  ]);
  expect(run.stdout).not.toMatch(/FINDINGS/);
});

test("files of two patients are refused, naming both", async () => {
  const other = modifiedCopy(tmp.dir, REFERENCE_CR, "other.dcm", { "(0010,0020)": "OTHER-7" });
  const run = await generate([REFERENCE_CR, other]);
  console.log(`generate two patients: exit ${run.code}, stderr: ${run.stderr.trim()}`);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^error: the files are of 2 patients: "Anonymized" \(.+\) and "OTHER-7" \(other\.dcm\)/);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).not.toMatch(/FINDINGS/);
});

const HIP = path.resolve(REPO_ROOT, "../shared/data/dicom-nonchest/CR_hip_JPEGLossless.dcm");

test("scope gate: a CR hip and an MR header around chest pixels end with the reason (exit 1) before the model loads", async () => {
  const mr = modifiedCopy(tmp.dir, REFERENCE_CR, "mr.dcm", {
    "(0008,0060)": "MR",
    "(0008,0016)": "1.2.840.10008.5.1.4.1.1.4",
  });
  for (const [file, reason] of [
    [HIP, "CR of the hip"],
    [mr, "MR images: this model drafts chest radiographs only"],
  ] as const) {
    const run = await generate([file]);
    console.log(`generate ${path.basename(file)}: exit ${run.code}, stderr: ${run.stderr.trim()}`);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
      `error: not eligible for an AI draft: ${reason}; no draft was made (--force drafts anyway)`,
    ]);
    expect(run.stdout).not.toMatch(/FINDINGS/);
  }
}, 120_000);

test("scope gate: --force drafts the hip anyway and says so; a real chest CR is drafted with the model's score", async () => {
  const forced = await generate([HIP, "--force", "--json"]);
  expect(forced.code).toBe(0);
  expect(forced.stderr).toMatch(/warning: CR of the hip: not eligible for an AI draft; drafting anyway \(--force\)/);
  const result = JSON.parse(forced.stdout) as {
    scope: { outcome: string; override: { by: string } | null; ood: { score: number; threshold: number | null } };
  };
  expect(result.scope).toMatchObject({ outcome: "not-eligible", override: { by: "--force" } });
  expect(result.scope.ood.threshold).not.toBeNull();
  const chest = await generate([REFERENCE_CR]);
  expect(chest.code).toBe(0);
  const line = chest.stdout.split("\n").find((l) => l.startsWith("Scope: "));
  console.log(`generate hip --force: score ${result.scope.ood.score}; chest: ${line}`);
  expect(line).toMatch(/\(model score 0\.\d{4}, threshold 0\.\d{4}\)$/);
}, 240_000);
