/**
 * A model pack's gallery thumbnails (`gallery.thumbnails` in manifest.json, written by training/pack_thumbnails.py):
 * one small grey JPEG of each gallery study's frontal view, concatenated in the gallery's row order in the data file
 * (gallery/thumbnails.bin); the index file (gallery/thumbnails.json) gives the ids, offsets and lengths. Read by the
 * model pack loader (load-model-pack.ts), the one reader of a pack.
 * Node file system only (no onnxruntime).
 */
import fs from "node:fs";
import path from "node:path";
import { type GalleryThumbnailsSection, galleryThumbnailsIndexSchema } from "./manifest-schema";

/** The checked thumbnails as plain data (what a worker thread can post): the data file, offsets and lengths. */
export interface GalleryThumbnailsData {
  format: "jpeg";
  /** Every thumbnail fits max_side x max_side (aspect ratio kept). */
  maxSide: number;
  count: number;
  data: Uint8Array;
  offsets: readonly number[];
  lengths: readonly number[];
}

export interface GalleryThumbnails extends GalleryThumbnailsData {
  /** The JPEG bytes of gallery row `row` (a copy), or null when the row is out of range. */
  get(row: number): Uint8Array | null;
}

/** Thumbnails read (and checked) by readGalleryThumbnails, with `get`, from their plain data. */
export function galleryThumbnails(thumbnails: GalleryThumbnailsData): GalleryThumbnails {
  const { data, offsets, lengths, count } = thumbnails;
  return {
    format: thumbnails.format,
    maxSide: thumbnails.maxSide,
    count,
    data,
    offsets,
    lengths,
    get(row: number): Uint8Array | null {
      if (!Number.isInteger(row) || row < 0 || row >= count) return null;
      const offset = offsets[row]!;
      return new Uint8Array(data.subarray(offset, offset + lengths[row]!));
    },
  };
}

/** How many bad entries are named before the rest are only counted. */
const NAMED_ENTRY_PROBLEMS = 3;

/**
 * Reads the thumbnails of a gallery whose ids are `ids` (row order) and checks them: the index file against its
 * schema, its ids equal to the gallery's, one offset and length per row, every entry inside the data file and a
 * JPEG (SOI marker FF D8 FF at its start, EOI FF D9 at its end), the data file's size as the manifest says.
 * Returns the problems found (empty when the thumbnails are fine) and the thumbnails when there is none.
 */
export function readGalleryThumbnails(
  packDir: string,
  section: GalleryThumbnailsSection,
  ids: readonly string[],
): { thumbnails: GalleryThumbnails | null; problems: string[] } {
  const problems: string[] = [];
  const fail = () => ({ thumbnails: null, problems });
  if (section.count !== ids.length) {
    problems.push(`gallery.thumbnails.count ${section.count} differs from the gallery's ${ids.length} studies`);
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(path.join(packDir, section.index), "utf8"));
  } catch (error) {
    problems.push(`${section.index} cannot be read as JSON (${(error as Error).message})`);
    return fail();
  }
  const parsed = galleryThumbnailsIndexSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, NAMED_ENTRY_PROBLEMS))
      problems.push(`${section.index}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    return fail();
  }
  const index = parsed.data;
  if (index.max_side !== section.max_side) {
    problems.push(
      `${section.index} max_side ${index.max_side} differs from gallery.thumbnails.max_side ${section.max_side}`,
    );
  }
  if (index.ids.length !== ids.length) {
    problems.push(`${section.index} has ${index.ids.length} ids, the gallery has ${ids.length}`);
  } else {
    const row = index.ids.findIndex((id, i) => id !== ids[i]);
    if (row >= 0) {
      problems.push(
        `${section.index} ids differ from the gallery ids at row ${row} (${JSON.stringify(index.ids[row])}, gallery ${JSON.stringify(ids[row])})`,
      );
    }
  }
  for (const key of ["offsets", "lengths"] as const) {
    if (index[key].length !== ids.length) {
      problems.push(`${section.index} has ${index[key].length} ${key}, the gallery has ${ids.length} studies`);
    }
  }
  let data: Buffer;
  try {
    data = fs.readFileSync(path.join(packDir, section.data));
  } catch (error) {
    problems.push(`${section.data} cannot be read (${(error as Error).message})`);
    return fail();
  }
  if (data.byteLength !== section.bytes) {
    problems.push(`${section.data} has ${data.byteLength} bytes, gallery.thumbnails.bytes says ${section.bytes}`);
  }
  if (problems.length > 0) return fail();
  const bad: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    const offset = index.offsets[i]!;
    const length = index.lengths[i]!;
    const what = `${section.index}: thumbnail ${i} (${ids[i]}) at offset ${offset}, length ${length}`;
    if (offset + length > data.byteLength) {
      bad.push(`${what} ends past the end of ${section.data} (${data.byteLength} bytes)`);
    } else if (length < 4 || data[offset] !== 0xff || data[offset + 1] !== 0xd8 || data[offset + 2] !== 0xff) {
      bad.push(`${what} does not start with the JPEG SOI marker (FF D8 FF)`);
    } else if (data[offset + length - 2] !== 0xff || data[offset + length - 1] !== 0xd9) {
      bad.push(`${what} does not end with the JPEG EOI marker (FF D9)`);
    }
  }
  if (bad.length > 0) {
    problems.push(...bad.slice(0, NAMED_ENTRY_PROBLEMS));
    if (bad.length > NAMED_ENTRY_PROBLEMS) {
      problems.push(`${section.index}: ${bad.length - NAMED_ENTRY_PROBLEMS} more bad thumbnails`);
    }
    return fail();
  }
  return {
    problems,
    thumbnails: galleryThumbnails({
      format: "jpeg",
      maxSide: section.max_side,
      count: ids.length,
      data,
      offsets: index.offsets,
      lengths: index.lengths,
    }),
  };
}
