/**
 * Worker thread of the generator: renders the studies it is sent and writes <out>/images/<id>/0.png and 1.png.
 * Started by generate.ts through tsx's tsImport, so it runs as TypeScript.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parentPort } from "node:worker_threads";
import sharp from "sharp";
import { findingsOf } from "../../src-main/services/language/report-findings";
import type { IuStudy } from "./dataset";
import { encodePng } from "./png";
import { Plane } from "./raster";
import { type DrawnFinding, renderStudy } from "./render";

export interface WorkerJob {
  studies: IuStudy[];
  outDir: string;
  size: number;
}

export type WorkerReply =
  | { kind: "done"; ids: string[]; drawn: DrawnFinding[][] }
  | { kind: "error"; id: string; message: string };

if (!parentPort) throw new Error("tools/synth/worker.ts must run as a worker thread");
const port = parentPort;
// One libvips thread per worker: the pool itself provides the parallelism.
sharp.concurrency(1);

port.on("message", async (job: WorkerJob) => {
  const ids: string[] = [];
  const drawn: DrawnFinding[][] = [];
  for (const study of job.studies) {
    try {
      const { spec } = findingsOf(study);
      const rendered = renderStudy(spec, job.size);
      const dir = path.join(job.outDir, "images", study.id);
      await mkdir(dir, { recursive: true });
      const [frontal, lateral] = await Promise.all([encodePng(rendered.frontal), encodePng(rendered.lateral)]);
      Plane.release(rendered.frontal, rendered.lateral);
      await Promise.all([writeFile(path.join(dir, "0.png"), frontal), writeFile(path.join(dir, "1.png"), lateral)]);
      ids.push(study.id);
      drawn.push(rendered.drawn);
    } catch (error) {
      const reply: WorkerReply = { kind: "error", id: study.id, message: (error as Error).stack ?? String(error) };
      port.postMessage(reply);
      return;
    }
  }
  const reply: WorkerReply = { kind: "done", ids, drawn };
  port.postMessage(reply);
});
