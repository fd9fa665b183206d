/**
 * Image files for the renderer, which never reads the file system itself. Only images recorded in the case
 * database are served, by id (never by path), and only while the file still has the SHA-256 recorded at import.
 * The loopback harness serves them on GET /files/<imageId>; the Electron shell on rd-image://image/<imageId>.
 * The same channel serves similar-case thumbnails from the retrieval index by study id (thumbnail/<studyId>).
 *
 * The viewer asks for an image "for the viewer" (`?for=viewer`): a compressed grayscale DICOM file is then answered
 * with its decoded copy (Explicit VR Little Endian, src-main/services/imaging/viewer-copy.ts) when one has been
 * written, so the renderer does not decode a 2k×2k JPEG 2000 / JPEG-LS frame itself (issue 19.3). The copies are
 * written in one decode worker after each import (studies-changed) and when a study's images are listed, kept by
 * the original's SHA-256 in the data folder (`viewer-cache/`, oldest dropped beyond `viewerCopiesMaxBytes`), and
 * served only while the original still has its recorded checksum — as the original itself.
 */
import crypto from "node:crypto";
import { mkdirSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { View } from "../../../src-shared/domain";
import { StudyIdSchema } from "../../../src-shared/domain";
import { sniffImageFormat } from "../../../src-shared/imaging/dicom-reader";
import { DEFAULT_MAX_FILE_BYTES } from "../../../src-shared/imaging/image-types";
import { transferSyntax } from "../../../src-shared/imaging/transfer-syntaxes";
import {
  type ImageFormat,
  ImageIdSchema,
  type ImageSource,
  THUMBNAIL_FILE_PREFIX,
} from "../../../src-shared/import-types";
import type { CaseDatabase } from "../../db/database";
import { sniffImageFile } from "../imaging/decode-image";
import { ImageDecodePool } from "../imaging/decode-pool";
import { previewPathOf } from "../imaging/viewer-copy";
import { NotFoundError, STUDY_IMAGES_IN_VIEWER_ORDER } from "../studies/studies-service";

/** Why an image cannot be served; `status` is the HTTP status the harness answers with. */
export class ImageFileError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 | 410 | 413,
  ) {
    super(message);
    this.name = "ImageFileError";
  }
}

/** What the file channel answers with. */
export interface ServedFile {
  bytes: Buffer;
  contentType: string;
}

export interface ImageFile extends ServedFile {
  imageId: string;
  format: ImageFormat;
  fileName: string;
}

export interface FilesServiceOptions {
  /** A case's thumbnail in the retrieval index (PNG or JPEG bytes), or null. */
  thumbnail?: (studyId: string) => Uint8Array | null;
  /** Folder of the viewer's decoded copies of compressed files (absent: none are made; the renderer decodes). */
  viewerCopiesDir?: string;
  /** The most the copies may take on disk (default 2 GiB); the least recently served go first. */
  viewerCopiesMaxBytes?: number;
}

/**
 * How a file is asked for: "viewer" accepts the decoded copy of a compressed file; "viewer-preview" asks for its
 * reduced-resolution copy (404 when there is none: ImageSource.preview says when there is).
 */
export interface ReadImageOptions {
  readonly for?: "viewer" | "viewer-preview";
}

/** The options a request's `for` parameter asks for (anything else: the file as imported). */
export function readImageOptionsFor(purpose: string | null): ReadImageOptions {
  return purpose === "viewer" || purpose === "viewer-preview" ? { for: purpose } : {};
}

const DEFAULT_VIEWER_COPIES_MAX_BYTES = 2 * 1024 ** 3;

const CONTENT_TYPES: Record<ImageFormat, string> = {
  dicom: "application/dicom",
  png: "image/png",
  jpeg: "image/jpeg",
};

interface ImageRow {
  id: string;
  file_path: string;
  file_sha256: string | null;
  view: View;
  view_reason: string | null;
  width: number | null;
  height: number | null;
  transfer_syntax: string | null;
}

export class FilesService {
  /** One worker writes the viewer copies, so they never take both cores from a draft or an import. */
  private copier: ImageDecodePool | null = null;
  /** Copies being written, by the original's SHA-256. */
  private readonly copying = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly db: CaseDatabase,
    private readonly options: FilesServiceOptions = {},
  ) {}

  /** A file of the channel by its path there: `thumbnail/<studyId>` or `<imageId>`. */
  async readFile(channelPath: string, options: ReadImageOptions = {}): Promise<ServedFile> {
    if (channelPath.startsWith(THUMBNAIL_FILE_PREFIX))
      return this.readThumbnail(channelPath.slice(THUMBNAIL_FILE_PREFIX.length));
    return this.readImage(channelPath, options);
  }

  /**
   * Starts writing the viewer copies that the study's compressed DICOM images lack (in the background; a failure
   * leaves the image to the renderer's own decoding, which names any damage).
   */
  prepareViewerCopies(studyId: string): void {
    const dir = this.options.viewerCopiesDir;
    if (!dir || this.closed) return;
    const rows = this.db
      .prepare(`SELECT i.file_path, i.file_sha256, i.transfer_syntax ${STUDY_IMAGES_IN_VIEWER_ORDER}`)
      .all(studyId) as Pick<ImageRow, "file_path" | "file_sha256" | "transfer_syntax">[];
    for (const row of rows) {
      const ts = transferSyntax(row.transfer_syntax ?? "");
      if (row.file_sha256 && ts?.codec && ts.codec !== "native") this.copyInBackground(row.file_path, row.file_sha256);
    }
  }

  /** Resolves when no viewer copy is being written (benchmarks and tests wait on it). */
  async viewerCopiesIdle(): Promise<void> {
    while (this.copying.size > 0) await Promise.allSettled([...this.copying.values()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.copier?.close();
    this.copier = null;
  }

  /** Whether the viewer copy of the file with this checksum has a reduced-resolution copy ready. */
  private async hasPreview(sha256: string | null): Promise<boolean> {
    const full = sha256 ? this.viewerCopyPath(sha256) : null;
    if (!full) return false;
    try {
      await Promise.all([fs.access(full), fs.access(previewPathOf(full))]);
      return true;
    } catch {
      return false;
    }
  }

  private viewerCopyPath(sha256: string): string | null {
    const dir = this.options.viewerCopiesDir;
    return dir && /^[0-9a-f]{64}$/.test(sha256) ? path.join(dir, `${sha256}.dcm`) : null;
  }

  private copyInBackground(filePath: string, sha256: string): void {
    const target = this.viewerCopyPath(sha256);
    if (!target || this.closed || this.copying.has(sha256)) return;
    const job = (async () => {
      try {
        await fs.access(target);
        return;
      } catch {
        /* not written yet */
      }
      mkdirSync(path.dirname(target), { recursive: true });
      this.copier ??= new ImageDecodePool({ size: 1 });
      const outcome = await this.copier.viewerCopy(filePath, sha256, target);
      if (outcome.written) await this.dropOldCopies();
    })()
      .catch(() => {
        /* the renderer decodes the original and names the problem */
      })
      .finally(() => this.copying.delete(sha256));
    this.copying.set(sha256, job);
  }

  /** Keeps the copies under viewerCopiesMaxBytes: the least recently served are removed first. */
  private async dropOldCopies(): Promise<void> {
    const dir = this.options.viewerCopiesDir;
    if (!dir) return;
    const max = this.options.viewerCopiesMaxBytes ?? DEFAULT_VIEWER_COPIES_MAX_BYTES;
    const names = (await fs.readdir(dir)).filter((n) => n.endsWith(".dcm"));
    const files = await Promise.all(
      names.map(async (n) => {
        const st = await fs.stat(path.join(dir, n)).catch(() => null);
        return { file: path.join(dir, n), size: st?.size ?? 0, at: st?.mtimeMs ?? 0 };
      }),
    );
    let total = files.reduce((sum, f) => sum + f.size, 0);
    for (const f of files.sort((a, b) => a.at - b.at)) {
      if (total <= max) break;
      await fs.rm(f.file, { force: true });
      total -= f.size;
    }
  }

  /** The retrieval index's thumbnail of a similar case (its frontal view), by study id. */
  readThumbnail(studyId: string): ServedFile {
    if (!StudyIdSchema.safeParse(studyId).success)
      throw new ImageFileError(`invalid study id ${JSON.stringify(studyId.slice(0, 80))}`, 400);
    const bytes = this.options.thumbnail?.(studyId) ?? null;
    if (!bytes) throw new ImageFileError(`no thumbnail of study ${studyId} in the retrieval index`, 404);
    const format = sniffImageFormat(bytes);
    if (format !== "png" && format !== "jpeg")
      throw new ImageFileError(`the thumbnail of study ${studyId} is not a PNG or JPEG image`, 409);
    return { bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), contentType: CONTENT_TYPES[format] };
  }

  /**
   * The images of a study, in viewer order (frontal, lateral, others; then by path), with their format. The viewer
   * is about to show them: viewer copies it lacks are started.
   */
  async imageSources(studyId: string): Promise<ImageSource[]> {
    const study = this.db.prepare("SELECT 1 FROM studies WHERE id = ?").get(studyId);
    if (!study) throw new NotFoundError(`no study with id ${studyId}`);
    this.prepareViewerCopies(studyId);
    const rows = this.db
      .prepare(
        `SELECT i.id, i.file_path, i.file_sha256, i.view, i.view_reason, i.width, i.height, i.transfer_syntax
         ${STUDY_IMAGES_IN_VIEWER_ORDER}`,
      )
      .all(studyId) as ImageRow[];
    return Promise.all(
      rows.map(async (row): Promise<ImageSource> => {
        let format: ImageFormat | null = null;
        let problem: string | null = null;
        try {
          format = await sniffImageFile(row.file_path);
          if (!format) problem = "the file is no longer a DICOM, PNG or JPEG file";
        } catch (err) {
          problem = `the file cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
        }
        const fallback: ImageFormat = row.transfer_syntax ? "dicom" : /\.png$/i.test(row.file_path) ? "png" : "jpeg";
        const resolved = format ?? fallback;
        return {
          imageId: row.id,
          format: resolved,
          contentType: CONTENT_TYPES[resolved],
          fileName: path.basename(row.file_path),
          view: row.view,
          viewReason: row.view_reason,
          width: row.width,
          height: row.height,
          transferSyntaxUid: row.transfer_syntax,
          encoding:
            resolved === "dicom"
              ? (transferSyntax(row.transfer_syntax ?? "")?.name ?? row.transfer_syntax ?? "DICOM")
              : resolved.toUpperCase(),
          available: problem === null,
          problem,
          preview: await this.hasPreview(row.file_sha256),
        };
      }),
    );
  }

  /**
   * The bytes of one image file, checked against the checksum recorded at import; for the viewer, the decoded copy
   * of a compressed file where one is ready (else the original, and the copy is started).
   */
  async readImage(imageId: string, options: ReadImageOptions = {}): Promise<ImageFile> {
    const parsed = ImageIdSchema.safeParse(imageId);
    if (!parsed.success) throw new ImageFileError(`invalid image id ${JSON.stringify(imageId.slice(0, 80))}`, 400);
    const row = this.db
      .prepare("SELECT id, file_path, file_sha256, transfer_syntax FROM images WHERE id = ?")
      .get(imageId) as Pick<ImageRow, "id" | "file_path" | "file_sha256" | "transfer_syntax"> | undefined;
    if (!row) throw new ImageFileError(`no image with id ${imageId}`, 404);
    let bytes: Buffer;
    try {
      const st = await fs.stat(row.file_path);
      if (st.size > DEFAULT_MAX_FILE_BYTES) throw new ImageFileError(`image file ${row.file_path} is too large`, 413);
      bytes = await fs.readFile(row.file_path);
    } catch (err) {
      if (err instanceof ImageFileError) throw err;
      throw new ImageFileError(
        `image file ${row.file_path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): import it again`,
        410,
      );
    }
    const sha = crypto.createHash("sha256").update(bytes).digest("hex");
    if (row.file_sha256 && sha !== row.file_sha256) {
      throw new ImageFileError(`image file ${row.file_path} changed since it was imported: import it again`, 409);
    }
    const format: ImageFormat | null = sniffImageFormat(bytes);
    if (!format) throw new ImageFileError(`image file ${row.file_path} is not a DICOM, PNG or JPEG file`, 409);
    const fileName = path.basename(row.file_path);
    const full = format === "dicom" && options.for ? this.viewerCopyPath(sha) : null;
    if (options.for === "viewer-preview") {
      const preview = full ? await fs.readFile(previewPathOf(full)).catch(() => null) : null;
      if (!preview) throw new ImageFileError(`image ${imageId} has no reduced-resolution copy`, 404);
      return { imageId, bytes: preview, contentType: CONTENT_TYPES.dicom, format, fileName };
    }
    const copy = options.for === "viewer" ? full : null;
    if (copy) {
      const decoded = await fs.readFile(copy).catch(() => null);
      if (decoded) {
        const now = new Date();
        void fs.utimes(copy, now, now).catch(() => undefined);
        return { imageId, bytes: decoded, contentType: CONTENT_TYPES.dicom, format, fileName };
      }
      const codec = transferSyntax(row.transfer_syntax ?? "")?.codec;
      if (codec && codec !== "native") this.copyInBackground(row.file_path, sha);
    }
    return { imageId, bytes, contentType: CONTENT_TYPES[format], format, fileName };
  }
}
