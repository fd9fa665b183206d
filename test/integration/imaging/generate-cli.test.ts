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
