/**
 * npm run index -- --pack DIR --dicomweb <base-url> [--user U --password P | --token T] [--ca FILE.pem]
 *   [--no-thumbnails] [--data-dir DIR]
 *
 * Pulls the signed reports of a PACS into the retrieval index, so a department's reports, wherever they were signed,
 * become similar cases (the PACS is the shared source of truth, not a sync of our own):
 * - QIDO-RS finds the studies holding an SR (ModalitiesInStudy=SR); per study the newest SR that is VERIFIED and
 *   COMPLETE is the report (an addendum SR replaces the one before);
 * - the report text is the SR's Findings (TID 2000 section 121070), else all its TEXT items;
 * - the study's radiographs (CR/DX image instances) are retrieved with WADO-RS into the cache and embedded by the
 *   pack's vision encoder; the labels come from the report's text (the clinical labeler), as for a report signed here;
 * - each study is written to the index as it is done (source "indexed", case id = its StudyInstanceUID), and
 *   `pacs_index_state` remembers which SR it was: a run after a stop resumes, a later run adds only what is new or
 *   changed. A study whose report was signed on this workstation is already in the index and is left alone.
 */
import crypto from "node:crypto";
import path from "node:path";
import cliProgress from "cli-progress";
import type { CaseDatabase } from "../db/database";
import { type InferenceEngine, InferenceError } from "../services/inference";
import { labelReport } from "../services/language/clinical-labeler";
import { requiredUid, str, TAGS } from "../services/pacs/dicom-json";
import { PacsError } from "../services/pacs/errors";
import { chestRadiographScope } from "../services/pacs/scope";
import { readSrReport, type SrReport } from "../services/pacs/sr-report";
import { fetchStudyInstances, instanceOf, isImageInstance } from "../services/pacs/study-cache";
import type { RetrievalService } from "../services/retrieval/retrieval-service";
import { type DicomWebFlags, dicomWebClient } from "./dicomweb-cli-support";
import { UserError } from "./language-cli-support";

const MAX_STUDIES = 100_000;

interface StudyOutcome {
  kind: "added" | "updated" | "current" | "skipped" | "failed";
  note?: string;
}

export async function indexFromDicomWeb(
  flags: DicomWebFlags,
  options: {
    db: CaseDatabase;
    retrieval: RetrievalService;
    /** The engine the index CLI started on the pack (startInferenceCore): it embeds the studies, its gallery is the index's. */
    engine: InferenceEngine;
    dataDir: string;
    thumbnails: boolean;
  },
): Promise<{ failed: number }> {
  const client = dicomWebClient(flags);
  const baseUrl = client.baseUrl;
  const { db, retrieval, engine } = options;
  const { gallery } = engine;
  if (retrieval.modelId === null) retrieval.resetForModel(gallery.modelId, gallery.dim);
  const counts = { added: 0, updated: 0, current: 0, skipped: 0, failed: 0 };
  const notes: string[] = [];
  let bar: cliProgress.SingleBar | null = null;
  try {
    const studies = await client.searchStudies([
      ["ModalitiesInStudy", "SR"],
      ["limit", String(MAX_STUDIES)],
    ]);
    const uids = studies.map((s) => requiredUid(s, TAGS.StudyInstanceUID, "SR study search"));
    console.log(`${baseUrl}: ${uids.length} studies with an SR`);
    bar = new cliProgress.SingleBar(
      { format: "index PACS reports     [{bar}] {percentage}% {value}/{total} {eta_formatted} left", hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(uids.length, 0);
    const stateOf = db.prepare(
      "SELECT sr_sop_instance_uid AS sop, case_id AS caseId FROM pacs_index_state WHERE base_url = ? AND study_instance_uid = ?",
    );
    const saveState = db.prepare(
      `INSERT INTO pacs_index_state (base_url, study_instance_uid, sr_sop_instance_uid, case_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (base_url, study_instance_uid) DO UPDATE SET sr_sop_instance_uid = excluded.sr_sop_instance_uid,
         case_id = excluded.case_id, indexed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
    );
    const signedHere = db.prepare(
      "SELECT s.id FROM studies s JOIN signed_reports r ON r.study_id = s.id WHERE s.study_instance_uid = ?",
    );
    for (const [n, uid] of uids.entries()) {
      let outcome: StudyOutcome;
      try {
        outcome = await (async (): Promise<StudyOutcome> => {
          const local = signedHere.get(uid) as { id: string } | undefined;
          if (local && retrieval.hasCase(local.id)) return { kind: "skipped", note: "signed on this workstation" };
          const instances = (
            await client.searchInstances(uid, [
              ["includefield", TAGS.SOPClassUID],
              ["includefield", TAGS.Modality],
              ["includefield", TAGS.ContentDate],
              ["includefield", TAGS.ContentTime],
            ])
          ).map((ds) => ({
            ...instanceOf(ds, `instances of ${uid}`),
            when: `${str(ds, TAGS.ContentDate) ?? ""}${str(ds, TAGS.ContentTime) ?? ""}`,
          }));
          const srs = instances
            .filter((i) => i.modality === "SR")
            .sort((a, b) => (a.when < b.when ? 1 : a.when > b.when ? -1 : 0));
          let report: SrReport | null = null;
          let srSop = "";
          for (const sr of srs) {
            const r = readSrReport(await client.retrieveInstance(uid, sr.seriesInstanceUid, sr.sopInstanceUid));
            if (r.verified && r.complete && r.text) {
              report = r;
              srSop = sr.sopInstanceUid;
              break;
            }
          }
          if (!report) return { kind: "skipped", note: "no verified, complete SR with text" };
          const known = stateOf.get(baseUrl, uid) as { sop: string; caseId: string } | undefined;
          if (known?.sop === srSop && retrieval.hasCase(known.caseId)) return { kind: "current" };
          const series = await client.searchSeries(uid, [
            ["includefield", TAGS.BodyPartExamined],
            ["includefield", TAGS.SeriesDescription],
          ]);
          const scope = chestRadiographScope(series);
          if (!scope.ok) return { kind: "skipped", note: `not a chest radiograph: ${scope.reason}` };
          const images = instances.filter(isImageInstance);
          const server = crypto.createHash("sha256").update(baseUrl).digest("hex").slice(0, 12);
          const folder = path.join(options.dataDir, "pacs-cache", "cli", server, uid);
          const got = await fetchStudyInstances(client, images, folder);
          const embedded = await engine.embedStudy(
            got.files.slice(0, 16).map((p) => ({ path: p, view: null })),
            { thumbnail: options.thumbnails },
          );
          const replaced = retrieval.hasCase(uid);
          if (replaced) retrieval.removeCase(uid);
          retrieval.addCase({
            studyId: uid,
            report: report.text,
            labels: labelReport(report.text).labels,
            source: "indexed",
            modelId: gallery.modelId,
            vector: embedded.vector,
            thumbnail: embedded.thumbnail,
          });
          saveState.run(baseUrl, uid, srSop, uid);
          return { kind: replaced ? "updated" : "added" };
        })();
      } catch (error) {
        if (error instanceof UserError) throw error;
        if (
          !(error instanceof PacsError || error instanceof InferenceError || (error as Error).name === "ImagingError")
        )
          throw error;
        // The PACS itself unreachable or refusing: stop (a rerun resumes); a bad study: note it and go on.
        if (
          error instanceof PacsError &&
          ["UNREACHABLE", "UNAUTHORIZED", "FORBIDDEN", "TLS", "TIMEOUT"].includes(error.code)
        )
          throw new UserError(error.message);
        outcome = { kind: "failed", note: (error as Error).message };
      }
      counts[outcome.kind]++;
      if (outcome.note && outcome.kind !== "current") notes.push(`${uid}: ${outcome.kind}: ${outcome.note}`);
      bar.update(n + 1);
    }
  } catch (error) {
    if (error instanceof PacsError) throw new UserError(error.message);
    throw error;
  } finally {
    bar?.stop();
    await client.close();
  }
  for (const note of notes.slice(0, 20)) console.log(`  ${note}`);
  console.log(
    `PACS reports: ${counts.added} added, ${counts.updated} updated, ${counts.current} already indexed, ${counts.skipped} skipped, ${counts.failed} failed`,
  );
  return { failed: counts.failed };
}
