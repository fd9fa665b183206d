// A decode worker that dies on its first request: ImageDecodePool must fail that request with WORKER_FAILED.
import { parentPort } from "node:worker_threads";

parentPort?.on("message", () => {
  process.exit(3);
});
