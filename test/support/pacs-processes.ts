/**
 * The PACS tests' child workstation processes (test/pacs/*-process.ts, which kill -9 tests stop mid-store): how they
 * are started and told the Orthanc to use, and what their case database's outbox holds afterwards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { openCaseDatabase } from "../../src-main/db/database";
import { DicomWebClient } from "../../src-main/services/pacs/dicomweb-client";
import type { PacsConnectionInput } from "../../src-shared/pacs-types";

const root = path.resolve(import.meta.dirname, "..", "..");

export interface ChildEnd {
  code: number | null;
  signal: string | null;
  stderr: string;
}

const orthancAuth = (pacs: { user: string; password: string }) =>
  ({ kind: "basic", username: pacs.user, password: pacs.password }) as const;

/** The connection a test adds for an Orthanc (basic auth with its user and password). */
export function orthancConnection(
  pacs: { dicomWebUrl: string; user: string; password: string },
  name = "Department PACS",
): PacsConnectionInput {
  return { name, baseUrl: pacs.dicomWebUrl, auth: orthancAuth(pacs) };
}

/** A DICOMweb client of an Orthanc, as the tests use to look at what the workstation stored there. */
export function orthancClient(pacs: { dicomWebUrl: string; user: string; password: string }): DicomWebClient {
  return new DicomWebClient({ baseUrl: pacs.dicomWebUrl, auth: orthancAuth(pacs) });
}

/** The environment that tells a child process which Orthanc to use (read back with `orthancFromEnv`). */
export function orthancEnv(pacs: { dicomWebUrl: string; user: string; password: string }): Record<string, string> {
  return { RD_PACS_URL: pacs.dicomWebUrl, RD_PACS_USER: pacs.user, RD_PACS_PASSWORD: pacs.password };
}

/** In a child process: the Orthanc its parent named with `orthancEnv`. */
export function orthancFromEnv(): { dicomWebUrl: string; user: string; password: string } {
  return {
    dicomWebUrl: process.env.RD_PACS_URL as string,
    user: process.env.RD_PACS_USER as string,
    password: process.env.RD_PACS_PASSWORD as string,
  };
}

/** Starts a test script under tsx; every JSON line it prints goes to `onLine` (other lines are not ours). */
export function launchJsonLines<T>(
  script: string,
  env: NodeJS.ProcessEnv,
  onLine: (msg: T, child: ChildProcess) => void,
): { child: ChildProcess; exited: Promise<ChildEnd> } {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, script)], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      onLine(JSON.parse(line), child);
    } catch {
      /* not ours */
    }
  });
  const exited = new Promise<ChildEnd>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

/** How many outbox entries of the data folder's case database are in each state. */
export function outboxStates(dataDir: string): Array<{ state: string; n: number }> {
  const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
  try {
    return db.prepare("SELECT state, count(*) AS n FROM pacs_outbox GROUP BY state").all() as Array<{
      state: string;
      n: number;
    }>;
  } finally {
    db.close();
  }
}
