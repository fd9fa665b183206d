/**
 * Draft a report for one study and list its most similar prior cases.
 *
 *   npm run generate -- <files or a study folder> [--json] [--pack DIR] [--k 5] [--views frontal,lateral]
 *     [--study-id ID] [--data-dir DIR] [--threads N] [--cpu] [--force]
 *   npm run generate -- --dicomweb <base-url> --study <StudyInstanceUID> [--user U --password P | --token T]
 *     [--ca FILE.pem] [same options]
 *
 * Inputs: DICOM, PNG or JPEG files, or folders (walked; files that are not DICOM/PNG/JPEG are skipped). Views come
 * from the metadata, the file names or --views (in the order of the files); never from the order alone, except for
 * the images of one DICOM study (docs/imaging.md, docs/inference.md).
 * Before the model loads, every file is read and decoded as the engine decodes it (inspectImageFile): a damaged or
 * unsupported file, or files of two patients, end the command with one line naming the file and the problem (exit
 * code 1), and no draft. The scope gate (src-shared/scope, docs/scope.md) then decides from the files' headers: a study
 * that is not eligible (not a chest radiograph: "MR images: ...", "CR of the hip") ends the command with the reason
 * (exit code 1) unless --force is given; an uncertain one is drafted with a caution line. The result names the
 * outcome, with the model's out-of-distribution score.
 * The study id (default: the name of the folder holding the images) is never retrieved: neither as a similar case
 * nor as the generator's input. The retrieval index is the case database of --data-dir (default: the
 * application's), seeded from the pack's gallery on first use. With --dicomweb the study is retrieved (WADO-RS) into
 * <data dir>/pacs-cache/cli/ first and then read as that folder (src-main/cli/dicomweb-cli-support.ts, docs/pacs.md).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { isImagingError } from "../../src-shared/imaging/errors";
import {
  assessScope,
  type ImageScopeFacts,
  SCOPE_OUTCOME_WORDS,
  type ScopeAssessment,
  scopeFactsFromMetadata,
} from "../../src-shared/scope/chest-scope";
import { resolveDataDir } from "../paths";
import { sniffImageFile } from "../services/imaging/decode-image";
import { inspectImageFile } from "../services/imaging/inspect-image";
import { scanPaths } from "../services/import/scan-paths";
import type { GeneratedReport, InferenceEngine, StudyImageInput } from "../services/inference";
import { CHEXPERT_OBSERVATIONS } from "../services/language/observations";
import { DICOMWEB_OPTIONS, retrieveStudyForCli } from "./dicomweb-cli-support";
import { asUserError, type CliCore, resolvePackDir, startCliCore } from "./inference-cli-support";
import { runCli, UserError } from "./language-cli-support";

const MAX_IMAGES = 16;

/** The image files of the study: explicit files as given, folder contents when they sniff as DICOM/PNG/JPEG. */
export async function collectStudyImages(
  inputs: readonly string[],
): Promise<{ files: string[]; skipped: string[]; studyId: string }> {
  if (inputs.length === 0) throw new UserError("give the study's image files or its folder");
  const absolute = inputs.map((p) => path.resolve(p));
  const scan = await scanPaths(absolute);
  if (scan.failures.length > 0) {
    const f = scan.failures[0]!;
    throw new UserError(`${f.path}: ${f.reason}`);
  }
  const explicit = new Set(absolute);
  const files: string[] = [];
  const skipped: string[] = [];
  for (const file of scan.files) {
    if (explicit.has(file)) {
      files.push(file);
      continue;
    }
    if (await sniffImageFile(file)) files.push(file);
    else skipped.push(file);
  }
  if (files.length === 0) throw new UserError(`no DICOM, PNG or JPEG file in ${inputs.join(", ")}`);
  if (files.length > MAX_IMAGES)
    throw new UserError(`${files.length} image files: a study has at most ${MAX_IMAGES} (give one study at a time)`);
  const parents = new Set(files.map((f) => path.dirname(f)));
  const studyId = parents.size === 1 ? path.basename([...parents][0]!) : path.basename(absolute[0]!);
  return { files, skipped, studyId };
}

/**
 * Reads and decodes every input as the engine will, and checks that they are one patient's: throws UserError naming
 * the file and the problem. Returns what the files say for the scope gate.
 */
export async function checkStudyImages(files: readonly string[]): Promise<ImageScopeFacts[]> {
  const patients = new Map<string, string>();
  const facts: ImageScopeFacts[] = [];
  for (const file of files) {
    let inspected: Awaited<ReturnType<typeof inspectImageFile>>;
    try {
      inspected = await inspectImageFile(file, { consumer: "engine" });
    } catch (error) {
      if (isImagingError(error)) throw new UserError(`${error.path}: ${error.reason}; no draft was made`);
      throw error;
    }
    if (inspected.kind !== "image") continue;
    const m = inspected.metadata;
    facts.push(scopeFactsFromMetadata(m));
    const patient = m.patientId?.trim() || m.patientName?.trim();
    if (patient) patients.set(patient, patients.get(patient) ?? file);
  }
  if (patients.size > 1) {
    const [[a, fileA], [b, fileB]] = [...patients.entries()] as [[string, string], [string, string]];
    throw new UserError(
      `the files are of ${patients.size} patients: "${a}" (${path.basename(fileA)}) and "${b}" (${path.basename(fileB)}); a study is one patient's: give one study at a time`,
    );
  }
  return facts;
}

/** The scope line of the human output. */
function scopeLine(scope: ScopeAssessment): string {
  const ood = scope.ood
    ? ` (model score ${scope.ood.score.toFixed(4)}${scope.ood.threshold === null ? ", no calibration in the pack" : `, threshold ${scope.ood.threshold.toFixed(4)}`})`
    : "";
  const override = scope.override ? "; drafted anyway (--force)" : "";
  return `Scope: ${SCOPE_OUTCOME_WORDS[scope.outcome]}: ${scope.headline}${override}${ood}`;
}

export function parseViews(text: string | undefined, count: number): StudyImageInput["view"][] {
  if (text === undefined) return Array(count).fill(null);
  const views = text.split(",").map((v) => v.trim().toLowerCase());
  if (views.length !== count)
    throw new UserError(`--views names ${views.length} views for ${count} image files (one per file, in order)`);
  for (const view of views)
    if (view !== "frontal" && view !== "lateral" && view !== "auto")
      throw new UserError(`--views: "${view}" is not frontal, lateral or auto`);
  return views.map((v) => (v === "auto" ? null : (v as "frontal" | "lateral")));
}

function positiveLabels(labels: readonly (number | null)[]): string {
  const names = labels.flatMap((v, i) => (v === 1 ? [CHEXPERT_OBSERVATIONS[i]] : []));
  return names.length > 0 ? names.join(", ") : "none";
}

function printHuman(
  studyId: string,
  report: GeneratedReport,
  info: InferenceEngine["info"],
  indexSize: number,
  scope: ScopeAssessment,
): void {
  const v = report.views;
  const lateral = v.lateral.duplicated ? "(none: the frontal view is used for both)" : path.basename(v.lateral.path);
  console.log(`Study ${studyId}`);
  console.log(`  frontal: ${path.basename(v.frontal.path)} (${v.frontal.reason})`);
  console.log(`  lateral: ${lateral}${v.lateral.duplicated ? "" : ` (${v.lateral.reason})`}`);
  for (const warning of v.warnings) console.log(`  note: ${warning}`);
  console.log(scopeLine(scope));
  console.log(
    `Model ${info.name} ${info.version} · ${info.executionProvider.toUpperCase()} (${info.intraOpNumThreads} thread${info.intraOpNumThreads === 1 ? "" : "s"})\n`,
  );
  console.log("FINDINGS");
  console.log(report.findings || "(nothing generated)");
  console.log("\nIMPRESSION");
  console.log(report.impression || "(none: the model writes the findings section only)");
  if (report.modelFindings.length > 0) {
    console.log("\nModel findings (probability / threshold chosen on val; * = above threshold)");
    for (const f of report.modelFindings.filter(
      (f) => f.reliable && (f.positive || f.probability >= f.threshold / 2),
    )) {
      console.log(
        `  ${f.positive ? "*" : " "} ${f.name.padEnd(24)} ${f.probability.toFixed(3)} / ${f.threshold.toFixed(3)}`,
      );
    }
  }
  console.log(
    `\nGenerator input: report of gallery study ${report.retrieved.studyId} (similarity ${report.retrieved.similarity.toFixed(4)})`,
  );
  console.log(`\nSimilar cases (top ${report.similarCases.length} of ${indexSize} in the index)`);
  report.similarCases.forEach((c, i) => {
    console.log(`${String(i + 1).padStart(2)}. ${c.studyId}  similarity ${c.similarity.toFixed(4)}  [${c.source}]`);
    console.log(`    ${c.report}`);
    console.log(`    positive findings: ${positiveLabels(c.labels)}`);
  });
  const t = report.timings;
  console.log(
    `\nTimings: decode ${t.decodeMs.toFixed(0)} ms, preprocess ${t.preprocessMs.toFixed(0)} ms, vision ${t.visionMs.toFixed(0)} ms, ` +
      `retrieval ${t.retrievalMs.toFixed(1)} ms, encoder ${t.encoderMs.toFixed(0)} ms, beam decode ${t.beamMs.toFixed(0)} ms ` +
      `(${report.steps} steps), total ${t.totalMs.toFixed(0)} ms`,
  );
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      pack: { type: "string" },
      k: { type: "string", default: "5" },
      views: { type: "string" },
      "study-id": { type: "string" },
      "data-dir": { type: "string" },
      threads: { type: "string" },
      cpu: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      study: { type: "string" },
      ...DICOMWEB_OPTIONS,
    },
  });
  const k = Number(values.k);
  if (!Number.isInteger(k) || k < 1 || k > 100)
    throw new UserError(`--k must be an integer from 1 to 100, got "${values.k}"`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 64))
    throw new UserError(`--threads must be an integer from 1 to 64, got "${values.threads}"`);
  const packDir = resolvePackDir(values.pack);
  const dataDir = resolveDataDir(values["data-dir"]);
  if (values.dicomweb !== undefined && positionals.length > 0)
    throw new UserError("give files or --dicomweb, not both");
  if (values.dicomweb === undefined && values.study !== undefined) throw new UserError("--study needs --dicomweb");
  // --dicomweb: the study is retrieved into the cache, then read exactly as a folder of files.
  const inputs = values.dicomweb === undefined ? positionals : [(await retrieveStudyForCli(values, dataDir)).folder];
  const { files, skipped, studyId: folderId } = await collectStudyImages(inputs);
  const studyId = values["study-id"] ?? folderId;
  const views = parseViews(values.views, files.length);
  const facts = await checkStudyImages(files);
  const gate = assessScope(facts);
  if (!gate.draftAllowed && !values.force) {
    throw new UserError(
      `not eligible for an AI draft: ${gate.reasons.join("; ")}; no draft was made (--force drafts anyway)`,
    );
  }
  const override = gate.draftAllowed ? null : { by: "--force", at: new Date().toISOString(), reason: "command line" };
  if (override) console.error(`warning: ${gate.headline}: not eligible for an AI draft; drafting anyway (--force)`);

  let core: CliCore | null = null;
  const bar = new cliProgress.SingleBar(
    { format: "{stage} [{bar}] {percentage}%", hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  try {
    console.error("loading the model pack");
    core = await startCliCore(dataDir, packDir, {
      executionProviders: values.cpu ? ["cpu"] : ["cuda", "cpu"],
      ...(threads ? { intraOpNumThreads: threads } : {}),
    });
    const { engine } = core;
    bar.start(100, 0, { stage: "drafting" });
    const report = await engine.generateFromImages(
      files.map((file, i) => ({ path: file, view: views[i] })),
      { k, excludeIds: [studyId], onProgress: (p) => bar.update(p.done, { stage: p.stage.padEnd(22) }) },
    );
    bar.stop();
    const scope = assessScope(facts, { ood: engine.oodScore(report), override });
    if (scope.outcome === "uncertain") console.error(`caution: ${scope.headline}`);
    if (skipped.length > 0) console.error(`skipped ${skipped.length} file(s) that are not DICOM, PNG or JPEG`);
    if (values.json) {
      const { embedding, thumbnail: _noThumbnail, ...rest } = report;
      console.log(
        JSON.stringify(
          {
            studyId,
            scope,
            ...rest,
            embedding: { modelId: embedding.modelId, dim: embedding.vector.length },
            pack: engine.info,
            index: { databasePath: core.databasePath, cases: core.retrieval.count, seeded: core.seeded },
          },
          null,
          2,
        ),
      );
    } else {
      printHuman(studyId, report, engine.info, core.retrieval.count, scope);
    }
  } catch (error) {
    bar.stop();
    throw asUserError(error);
  } finally {
    await core?.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) runCli(main);
