/**
 * A workstation process that signs reports of PACS studies (child of signing.test.ts, which kill -9s it in the middle
 * of a STOW-RS store). First run (no connection yet): adds the PACS connection, retrieves every study of
 * RD_STUDY_UIDS (comma-separated), writes a draft and signs it. Any later run only starts the services: the outbox
 * sends what an earlier run left. Prints one JSON line with the outbox counts on every outbox change and exits 0
 * when RD_EXPECT entries are all stored.
 */
import { createServices } from "../../src-main/services";
import { signInAccount } from "../support/accounts-fixtures";
import { orthancConnection, orthancFromEnv } from "../support/pacs-processes";

const expected = Number(process.env.RD_EXPECT);
const services = createServices({
  dataDir: process.env.RD_DATA_DIR as string,
  transport: "in-process",
  modelPackDir: null,
});
const report = () => {
  const entries = services.pacs.listOutbox();
  const counts: Record<string, number> = { pending: 0, sending: 0, stored: 0, failed: 0 };
  for (const e of entries) counts[e.state] = (counts[e.state] ?? 0) + 1;
  console.log(JSON.stringify(counts));
  if (entries.length === expected && counts.stored === expected) {
    services.close();
    process.exit(0);
  }
};
services.events.subscribe((e) => {
  if (e.type === "pacs-changed" && e.area === "outbox") report();
});

if (services.pacs.listConnections().length === 0) {
  const { id: connectionId } = services.pacs.addConnection(orthancConnection(orthancFromEnv()));
  const signer = await signInAccount(services.accounts);
  const studyIds: string[] = [];
  for (const uid of (process.env.RD_STUDY_UIDS as string).split(",")) {
    studyIds.push((await services.pacs.retrieveStudy({ connectionId, studyInstanceUid: uid })).studyId);
  }
  for (const [i, studyId] of studyIds.entries()) {
    const saved = services.reports.save(studyId, {
      sections: { indication: "", comparison: "", findings: `Study ${i}: the lungs are clear.`, impression: "Normal." },
      baseVersion: null,
      origin: "user",
    });
    services.reports.sign(studyId, { version: saved.draft?.version as number }, signer);
  }
  console.log(JSON.stringify({ signed: studyIds.length }));
}
report();
