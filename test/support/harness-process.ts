/**
 * Starts the loopback harness as a child process from source (tsx over src-main/harness/cli.ts: the code `npm run
 * serve` runs built, without a build step) and returns its URL and token.
 * Used by the end-to-end and integration tests; `restart()` keeps the data folder, like restarting the app.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { DEMO_ACCOUNT, DEMO_DISPLAY_NAME } from "../../src-main/harness/demo-account";

export interface HarnessProcess {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  pid: number;
  /** What the process wrote to stderr so far (its server log). */
  stderr(): string;
  /** The exit code once it has exited, else null. */
  exitCode(): number | null;
  /** Resolves when the process has exited (by itself, e.g. at a crash point, or killed). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (e.g. SIGKILL, to leave the data folder as a crash does) and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

const root = path.resolve(import.meta.dirname, "..", "..");

/**
 * The signed-in radiologist of an end-to-end harness process (the demo account, created on the first start and
 * signed in at every start by `--demo-account`): the workstation opens past its sign-in screen, and signing asks for
 * this password or PIN. The sign-in screen itself: test/e2e/sign-in.spec.ts.
 */
export const E2E_SIGNER = { displayName: DEMO_DISPLAY_NAME, secret: DEMO_ACCOUNT.password, pin: DEMO_ACCOUNT.pin };

/** startHarnessProcess for the end-to-end specs: signed in as E2E_SIGNER (also after `restart`). */
export function startSignedInHarnessProcess(
  dataDir: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<HarnessProcess> {
  return startHarnessProcess(dataDir, ["--demo-account", ...extraArgs], env);
}

export async function startHarnessProcess(
  dataDir: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<HarnessProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", path.join(root, "src-main/harness/cli.ts"), "--port", "0", "--data-dir", dataDir, ...extraArgs],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const started = await new Promise<{ url: string; origin: string; token: string }>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`harness did not start in 60 s:\n${stderr}`)), 60_000);
    rl.on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; url: string; origin: string; token: string };
        if (msg.event === "listening") {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        /* not a JSON line */
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`harness exited with ${code}:\n${stderr}`));
    });
  });
  const kill = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  return {
    ...started,
    dataDir,
    pid: child.pid!,
    stderr: () => stderr,
    exitCode: () => child.exitCode,
    exited,
    kill,
    stop: () => kill("SIGTERM"),
  };
}
