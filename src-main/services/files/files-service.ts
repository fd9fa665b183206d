/**
 * Image files for the renderer, which never reads the file system itself. Only images recorded in the case
 * database are served, by id (never by path), and only while the file still has the SHA-256 recorded at import.
 * The loopback harness serves them on GET /files/<imageId>; the Electron shell on rd-image://image/<imageId>.
 * The same channel serves similar-case thumbnails from the retrieval index by study id (thumbnail/<studyId>).
 */
import crypto from "node:crypto";
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
}

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
  constructor(
    private readonly db: CaseDatabase,
    private readonly options: FilesServiceOptions = {},
  ) {}

  /** A file of the channel by its path there: `thumbnail/<studyId>` or `<imageId>`. */
  async readFile(channelPath: string): Promise<ServedFile> {
    if (channelPath.startsWith(THUMBNAIL_FILE_PREFIX))
      return this.readThumbnail(channelPath.slice(THUMBNAIL_FILE_PREFIX.length));
    return this.readImage(channelPath);
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

  /** The images of a study, in viewer order (frontal, lateral, others; then by path), with their format. */
  async imageSources(studyId: string): Promise<ImageSource[]> {
    const study = this.db.prepare("SELECT 1 FROM studies WHERE id = ?").get(studyId);
    if (!study) throw new NotFoundError(`no study with id ${studyId}`);
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
        };
      }),
    );
  }

  /** The bytes of one image file, checked against the checksum recorded at import. */
  async readImage(imageId: string): Promise<ImageFile> {
    const parsed = ImageIdSchema.safeParse(imageId);
    if (!parsed.success) throw new ImageFileError(`invalid image id ${JSON.stringify(imageId.slice(0, 80))}`, 400);
    const row = this.db.prepare("SELECT id, file_path, file_sha256 FROM images WHERE id = ?").get(imageId) as
      | Pick<ImageRow, "id" | "file_path" | "file_sha256">
      | undefined;
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
    return { imageId, bytes, contentType: CONTENT_TYPES[format], format, fileName: path.basename(row.file_path) };
  }
}
