/**
 * npm run bench:all -- [--with-retrieval] [--out bench-results]
 *
 * Every issue-19 benchmark, one after another, each in its own process (so one's memory and threads do not skew the
 * next): the engine against PyTorch eager (bench.ts), the real 2k study beside GDCM (bench-real-study.ts), the
 * viewer's first image in Chromium (bench-viewer.ts), start-up on the harness path (bench-startup.ts) and, with
 * --with-retrieval, the 1M-case retrieval index (bench-retrieval.ts, minutes). Prints each one's Markdown and writes
 * bench-results/all-<time>.{json,md} (and all-latest) with every result and the load average before and after.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { runCli } from "../cli/language-cli-support";
import { appRoot } from "../paths";
import { loadAverage, writeResults } from "./harness-bench-support";

const BENCHES = [
  { name: "inference", script: "bench.ts", latest: "inference-" },
  { name: "real 2k study", script: "bench-real-study.ts", latest: "real-study-" },
  { name: "viewer first image", script: "bench-viewer.ts", latest: "viewer-" },
  { name: "start-up", script: "bench-startup.ts", latest: "startup-" },
] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "with-retrieval": { type: "boolean", default: false },
      out: { type: "string", default: path.join(appRoot(), "bench-results") },
    },
  });
  const out = path.resolve(values.out!);
  const benches: { name: string; script: string; latest: string; node?: string[] }[] = [...BENCHES];
  if (values["with-retrieval"])
    benches.push({
      name: "retrieval 1M",
      script: "bench-retrieval.ts",
      latest: "retrieval-",
      node: ["--expose-gc"],
    });
  const loadAverageBefore = loadAverage();
  const results: { name: string; exitCode: number | null; markdown: string; result: unknown }[] = [];
  for (const b of benches) {
    console.error(`\n=== ${b.name} (${b.script}) ===`);
    const startedAt = Date.now() - 1000;
    const run = spawnSync(
      process.execPath,
      [...(b.node ?? []), "--import", "tsx", path.join(appRoot(), "src-main/bench", b.script), "--out", out],
      { cwd: appRoot(), stdio: ["ignore", "inherit", "inherit"] },
    );
    // The newest result file the benchmark wrote during this run (named <prefix><time>.<ext>).
    const read = (ext: string) => {
      const files = fs.existsSync(out)
        ? fs
            .readdirSync(out)
            .filter((n) => n.startsWith(b.latest) && n.endsWith(`.${ext}`))
            .map((n) => path.join(out, n))
            .filter((f) => fs.statSync(f).mtimeMs >= startedAt)
            .sort((x, y) => fs.statSync(y).mtimeMs - fs.statSync(x).mtimeMs)
        : [];
      return files[0] ? fs.readFileSync(files[0], "utf8") : null;
    };
    const json = run.status === 0 ? read("json") : null;
    results.push({
      name: b.name,
      exitCode: run.status,
      markdown: run.status === 0 ? (read("md") ?? "") : `**${b.name}: failed (exit ${run.status})**`,
      result: json ? JSON.parse(json) : null,
    });
  }
  const loadAverageAfter = loadAverage();
  const created = new Date().toISOString();
  const md = [
    `# Issue 19 benchmarks — ${created}`,
    `Load average ${loadAverageBefore.join(" ")} before, ${loadAverageAfter.join(" ")} after.`,
    ...results.map((r) => r.markdown.trim()),
  ].join("\n\n");
  const file = writeResults(out, "all", { created, loadAverageBefore, loadAverageAfter, results }, md);
  console.log(`\n${md}\n\nwrote ${file} and .md`);
  if (results.some((r) => r.exitCode !== 0)) process.exitCode = 1;
}

runCli(main);
