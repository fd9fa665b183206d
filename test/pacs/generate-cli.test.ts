/**
 * `npm run generate -- --dicomweb <base-url> --study <uid>` against a real Orthanc: the draft and similar cases are
 * those of the same files read from disk, and each failure (unreachable, 401, unknown study, not a chest
 * radiograph) is one clear line with exit code 1.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type OrthancProcess, startOrthanc, stowFiles } from "../support/orthanc";
import { DEMO_DIR, HIP_FILE, readHeader } from "../support/pacs-fixtures";

const root = path.resolve(import.meta.dirname, "..", "..");
const STUDY = "CXR39_IM-1978";
let pacs: OrthancProcess;
let dataDir: string;

function generate(args: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const run = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "src-main/cli/generate.ts"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 180_000,
  });
  return { ...run, ms: performance.now() - started };
}

/** --dicomweb, --study and --user (the password by flag or environment). */
const fromStudy = (uid: string) => ["--dicomweb", pacs.dicomWebUrl, "--study", uid, "--user", pacs.user];

beforeAll(async () => {
  pacs = await startOrthanc();
  const files = ["PA.dcm", "LL.dcm"].map((f) => path.join(DEMO_DIR, STUDY, f));
  expect(await stowFiles(pacs, [...files, HIP_FILE])).toBe(200);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-gen-pacs-"));
});

afterAll(async () => {
  await pacs?.stop();
});

describe("npm run generate -- --dicomweb", () => {
  it("drafts a PACS study exactly as for its files", () => {
    const uid = readHeader(path.join(DEMO_DIR, STUDY, "PA.dcm")).studyInstanceUid;
    const fromPacs = generate([...fromStudy(uid), "--json", "--k", "3", "--data-dir", dataDir], {
      RADIOLOGY_DRAFT_PACS_PASSWORD: pacs.password,
    });
    expect(fromPacs.status, fromPacs.stderr).toBe(0);
    const fromFiles = generate([path.join(DEMO_DIR, STUDY), "--json", "--k", "3", "--data-dir", dataDir]);
    expect(fromFiles.status, fromFiles.stderr).toBe(0);
    const a = JSON.parse(fromPacs.stdout);
    const b = JSON.parse(fromFiles.stdout);
    console.log(
      `generate --dicomweb ${fromPacs.ms.toFixed(0)} ms, from files ${fromFiles.ms.toFixed(0)} ms; findings: ${a.findings}`,
    );
    expect(a.studyId).toBe(uid);
    expect(a.findings).toBe(b.findings);
    expect(a.findings.length).toBeGreaterThan(20);
    expect(a.impression).toBe(b.impression);
    expect(a.similarCases.map((c: { studyId: string }) => c.studyId)).toEqual(
      b.similarCases.map((c: { studyId: string }) => c.studyId),
    );
    // The human form prints the same sections.
    const human = generate([...fromStudy(uid), "--password", pacs.password, "--k", "2", "--data-dir", dataDir]);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toContain(`Study ${uid}`);
    expect(human.stdout).toContain("FINDINGS");
    expect(human.stdout).toContain("Similar cases (top 2");
  });

  it("says in one line what went wrong: unreachable, 401, unknown study, not a chest radiograph", async () => {
    const port = await freePort();
    const cases: Array<[string, string[], RegExp]> = [
      [
        "unreachable",
        ["--dicomweb", `http://127.0.0.1:${port}/dicom-web`, "--study", "1.2.3"],
        /is unreachable \(connection refused\)/,
      ],
      [
        "401",
        ["--dicomweb", pacs.dicomWebUrl, "--study", "1.2.3", "--user", pacs.user, "--password", "wrong"],
        /answered 401 .*wrong or missing credentials/,
      ],
      [
        "unknown study",
        ["--dicomweb", pacs.dicomWebUrl, "--study", "1.2.3.4", "--user", pacs.user, "--password", pacs.password],
        /has no study 1\.2\.3\.4$/,
      ],
      [
        "hip",
        [
          "--dicomweb",
          pacs.dicomWebUrl,
          "--study",
          readHeader(HIP_FILE).studyInstanceUid,
          "--user",
          pacs.user,
          "--password",
          pacs.password,
        ],
        /is not a chest radiograph: Body Part Examined is HIP/,
      ],
      ["bad uid", ["--dicomweb", pacs.dicomWebUrl, "--study", "abc"], /--study "abc" is not a DICOM UID/],
    ];
    for (const [name, args, pattern] of cases) {
      const run = generate([...args, "--data-dir", dataDir]);
      const lines = run.stderr.trim().split("\n");
      console.log(`${name}: exit ${run.status}: ${lines.at(-1)}`);
      expect(run.status, name).toBe(1);
      expect(lines, `${name}: ${run.stderr}`).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(pattern);
      expect(run.stderr).not.toContain("wrong\n");
    }
  });
});
