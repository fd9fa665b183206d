/**
 * A process that holds the STOW-RS outbox (child of outbox.test.ts, which kill -9s it in the middle of a store):
 * opens the case database of RD_DATA_DIR, adds the PACS connection once, enqueues the SR files of RD_SR_DIR
 * (idempotent: the same bytes give the same entry), prints one JSON line per outbox state change, and exits 0
 * when every entry is stored.
 */
import fs from "node:fs";
import path from "node:path";
import { instanceUids } from "../../src-main/services/pacs/outbox";
import type { PacsService } from "../../src-main/services/pacs/pacs-service";
import { orthancConnection, orthancFromEnv } from "../support/pacs-processes";
import { openPacsService } from "../support/pacs-service";

const dataDir = process.env.RD_DATA_DIR as string;
const srDir = process.env.RD_SR_DIR as string;
const pacs: PacsService = openPacsService(dataDir, (e) => {
  console.log(JSON.stringify({ id: e.id, state: e.state, attempts: e.attempts, lastError: e.lastError }));
  if (e.state === "stored" && pacs.listOutbox().every((x) => x.state === "stored")) {
    console.log(JSON.stringify({ done: true }));
    process.exit(0);
  }
}).service;
const connectionId =
  pacs.listConnections()[0]?.id ?? pacs.addConnection(orthancConnection(orthancFromEnv(), "Test PACS")).id;
for (const file of fs.readdirSync(srDir).sort()) {
  const bytes = fs.readFileSync(path.join(srDir, file));
  pacs.storeReport({ bytes, sopInstanceUid: instanceUids(bytes).sopInstanceUid, connectionId });
}
pacs.start();
