/**
 * The DICOMweb side of the command-line tools: `--dicomweb <base-url>` with `--user U --password P` or `--token T`
 * (or RADIOLOGY_DRAFT_PACS_PASSWORD / RADIOLOGY_DRAFT_PACS_TOKEN, so a secret need not be on the command line) and
 * `--ca FILE.pem`. generate retrieves one study into <data dir>/pacs-cache/cli/ and then reads it exactly as a folder
 * of files; index pulls signed SRs and their images. Failures become one-line UserErrors.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DicomUidSchema } from "../../src-shared/pacs-types";
import { TAGS } from "../services/pacs/dicom-json";
import { DicomWebClient, type DicomWebClientOptions } from "../services/pacs/dicomweb-client";
import { PacsError } from "../services/pacs/errors";
import { chestRadiographScope } from "../services/pacs/scope";
import { type FetchProgress, fetchStudyInstances, listStudyInstances } from "../services/pacs/study-cache";
import { UserError } from "./language-cli-support";

export const DICOMWEB_OPTIONS = {
  dicomweb: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  token: { type: "string" },
  ca: { type: "string" },
} as const;

export interface DicomWebFlags {
  dicomweb?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
  ca?: string | undefined;
}

export function dicomWebClientOptions(flags: DicomWebFlags): DicomWebClientOptions {
  const baseUrl = flags.dicomweb as string;
  const password = flags.password ?? process.env.RADIOLOGY_DRAFT_PACS_PASSWORD;
  const token = flags.token ?? process.env.RADIOLOGY_DRAFT_PACS_TOKEN;
  if (flags.user !== undefined && flags.token !== undefined)
    throw new UserError("give --user/--password or --token, not both");
  if (flags.user === undefined && flags.password !== undefined) throw new UserError("--password needs --user");
  if (flags.user !== undefined && password === undefined)
    throw new UserError("--user needs --password (or RADIOLOGY_DRAFT_PACS_PASSWORD)");
  let caCertificate: string | null = null;
  if (flags.ca) {
    try {
      caCertificate = fs.readFileSync(path.resolve(flags.ca), "utf8");
    } catch (error) {
      throw new UserError(`--ca ${flags.ca}: ${(error as Error).message}`);
    }
  }
  return {
    baseUrl,
    caCertificate,
    auth:
      flags.user !== undefined
        ? { kind: "basic", username: flags.user, password: password as string }
        : token !== undefined && flags.user === undefined
          ? { kind: "bearer", token }
          : { kind: "none" },
  };
}

export function dicomWebClient(flags: DicomWebFlags): DicomWebClient {
  try {
    return new DicomWebClient(dicomWebClientOptions(flags));
  } catch (error) {
    if (error instanceof PacsError) throw new UserError(`--dicomweb: ${error.message}`);
    throw error;
  }
}

/** PACS failures as one line for the user. */
export function pacsUserError(error: unknown): unknown {
  return error instanceof PacsError ? new UserError(error.message) : error;
}

/**
 * Retrieves a chest radiograph study by its StudyInstanceUID into <dataDir>/pacs-cache/cli/<server>/<uid>/
 * (resumable: files already there are not fetched again) and returns that folder.
 */
export async function retrieveStudyForCli(
  flags: DicomWebFlags & { study?: string | undefined },
  dataDir: string,
  onProgress?: (p: FetchProgress) => void,
): Promise<{ folder: string; studyInstanceUid: string; fetched: number; cached: number }> {
  if (!flags.study) throw new UserError("--dicomweb needs --study <StudyInstanceUID>");
  const uid = DicomUidSchema.safeParse(flags.study);
  if (!uid.success) throw new UserError(`--study "${flags.study}" is not a DICOM UID`);
  const client = dicomWebClient(flags);
  const where = client.baseUrl;
  try {
    const studies = await client.searchStudies([["StudyInstanceUID", uid.data]]);
    if (studies.length === 0) throw new UserError(`${where} has no study ${uid.data}`);
    const series = await client.searchSeries(uid.data, [
      ["includefield", TAGS.BodyPartExamined],
      ["includefield", TAGS.SeriesDescription],
    ]);
    const scope = chestRadiographScope(series);
    if (!scope.ok) throw new UserError(`study ${uid.data} is not a chest radiograph: ${scope.reason}`);
    if (scope.note) console.error(`note: ${scope.note}`);
    const instances = await listStudyInstances(client, uid.data, where);
    const server = crypto.createHash("sha256").update(where).digest("hex").slice(0, 12);
    const folder = path.join(dataDir, "pacs-cache", "cli", server, uid.data);
    const got = await fetchStudyInstances(client, instances, folder, onProgress ? { onProgress } : {});
    if (got.files.length === 0) throw new UserError(`study ${uid.data} on ${where} has no image instance`);
    return { folder, studyInstanceUid: uid.data, fetched: got.fetched, cached: got.cached };
  } catch (error) {
    throw pacsUserError(error);
  } finally {
    await client.close();
  }
}
