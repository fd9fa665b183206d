/**
 * The DICOM tag browser's model: the elements of a data set parsed by the one DICOM reader (src-shared/imaging,
 * dicom-parser), as rows with tag, keyword, VR and a readable value; sequences hold their items' rows; private
 * tags (odd groups, PS3.5 7.8) are labelled with their Private Creator. Names and VRs of standard tags come from a
 * data dictionary passed in (the tag browser passes dcmjs's DicomMetaDictionary), so this file has no list of its
 * own. Text values are decoded as the reader decodes them (Specific Character Set).
 */
import type dicomParser from "dicom-parser";
import { AttributeReader } from "../../../../src-shared/imaging/dicom-reader";

type DataSet = dicomParser.DataSet;
type Element = dicomParser.Element;

/** A standard tag's entry: `lookup("(0020,0020)")` → { vr: "CS", name: "PatientOrientation" }. */
export type TagDictionary = (tag: string) => { readonly vr: string; readonly name: string } | undefined;

export interface TagRow {
  /** Unique within the tree: the path of dicom-parser tags and item indexes, e.g. "x00082112/0/x00081150". */
  readonly key: string;
  /** "(0008,2112)". */
  readonly tag: string;
  /** The dictionary keyword ("SourceImageSequence"), or the private label. */
  readonly name: string;
  readonly vr: string;
  /** The value as shown (text, numbers joined by "\", or a size for binary data); "" for sequences. */
  readonly value: string;
  readonly length: number;
  /** Odd group: a private tag (its creator element or a private data element). */
  readonly isPrivate: boolean;
  /** For private data elements: the Private Creator it belongs to, null when the creator element is absent. */
  readonly privateCreator: string | null;
  /** Sequence items (each a list of rows); absent for non-sequences. */
  readonly items?: readonly (readonly TagRow[])[];
}

const TEXT_VRS = new Set("AE AS CS DA DS DT IS LO LT PN SH ST TM UC UI UR UT".split(" "));
const BINARY_VRS = new Set("OB OD OF OL OV OW UN ox".split(" "));
const MAX_VALUES = 16;
const MAX_TEXT = 256;

function tagText(tag: string): string {
  return `(${tag.slice(1, 5).toUpperCase()},${tag.slice(5, 9).toUpperCase()})`;
}

function numbers(count: number, read: (i: number) => number | undefined): string {
  const values: string[] = [];
  for (let i = 0; i < Math.min(count, MAX_VALUES); i++) {
    const v = read(i);
    if (v === undefined) break;
    values.push(String(v));
  }
  return values.join("\\") + (count > MAX_VALUES ? ` … (${count} values)` : "");
}

function elementValue(ds: DataSet, attrs: AttributeReader, el: Element, vr: string): string {
  if (el.tag === "x7fe00010") {
    return el.encapsulatedPixelData
      ? `encapsulated pixel data, ${el.fragments?.length ?? 0} fragment(s)`
      : `pixel data, ${el.length} bytes`;
  }
  if (el.length <= 0) return "";
  if (el.dataOffset + el.length > ds.byteArray.length) return `${el.length} bytes (past the end of the file)`;
  const tag = el.tag;
  switch (vr) {
    case "US":
      return numbers(el.length / 2, (i) => ds.uint16(tag, i));
    case "SS":
      return numbers(el.length / 2, (i) => ds.int16(tag, i));
    case "UL":
      return numbers(el.length / 4, (i) => ds.uint32(tag, i));
    case "SL":
      return numbers(el.length / 4, (i) => ds.int32(tag, i));
    case "FL":
      return numbers(el.length / 4, (i) => ds.float(tag, i));
    case "FD":
      return numbers(el.length / 8, (i) => ds.double(tag, i));
    case "AT": {
      const pairs: string[] = [];
      for (let i = 0; i + 1 < el.length / 2 && pairs.length < MAX_VALUES; i += 2) {
        const g = ds.uint16(tag, i);
        const e = ds.uint16(tag, i + 1);
        if (g === undefined || e === undefined) break;
        pairs.push(`(${g.toString(16).padStart(4, "0")},${e.toString(16).padStart(4, "0")})`.toUpperCase());
      }
      return pairs.join("\\");
    }
  }
  if (TEXT_VRS.has(vr)) {
    const text = attrs.text(tag) ?? "";
    return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} characters)` : text;
  }
  if (BINARY_VRS.has(vr)) return `binary, ${el.length} bytes`;
  return `${el.length} bytes`;
}

/** The rows of a data set (and of its sequences, recursively), in tag order. */
export function tagRows(ds: DataSet, dictionary: TagDictionary, path = ""): TagRow[] {
  const attrs = new AttributeReader(ds);
  // dicom-parser keeps an undefined-length item's Item Delimitation Item (FFFE,E00D) among its elements: framing,
  // not data.
  const tags = Object.keys(ds.elements)
    .filter((tag) => !tag.startsWith("xfffe"))
    .sort();
  return tags.map((key) => {
    const el = ds.elements[key]!;
    const group = Number.parseInt(key.slice(1, 5), 16);
    const element = Number.parseInt(key.slice(5, 9), 16);
    const tag = tagText(key);
    const isPrivate = group % 2 === 1;
    const isCreator = isPrivate && element >= 0x0010 && element <= 0x00ff;
    const creatorKey = `x${key.slice(1, 5)}00${key.slice(5, 7)}`;
    const privateCreator =
      isPrivate && !isCreator && element > 0x00ff ? (new AttributeReader(ds).text(creatorKey) ?? null) : null;
    const entry = isPrivate ? undefined : dictionary(tag);
    const vr = el.vr ?? (el.items ? "SQ" : isCreator ? "LO" : (entry?.vr ?? "UN"));
    const name = isPrivate
      ? isCreator
        ? "Private Creator"
        : privateCreator
          ? `Private tag of "${privateCreator}"`
          : "Private tag (no Private Creator)"
      : (entry?.name ?? (element === 0 ? "GroupLength" : "Unknown tag"));
    const rowKey = path ? `${path}/${key}` : key;
    if (el.items) {
      const items = el.items.map((item, i) =>
        item.dataSet ? tagRows(item.dataSet, dictionary, `${rowKey}/${i}`) : [],
      );
      return {
        key: rowKey,
        tag,
        name,
        vr: "SQ",
        value: `${items.length} item${items.length === 1 ? "" : "s"}`,
        length: el.length,
        isPrivate,
        privateCreator,
        items,
      };
    }
    return {
      key: rowKey,
      tag,
      name,
      vr,
      value: elementValue(ds, attrs, el, vr),
      length: el.length,
      isPrivate,
      privateCreator,
    };
  });
}

/** What a search matches: a tag ("0020,0020", "(0020,0020)", "00200020", a group "0020,") or a name's part. */
export function rowMatches(row: TagRow, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  const hex = q.replace(/[()\s,]/g, "");
  if (/^[0-9a-f]{4,8}$/.test(hex)) {
    const rowHex = row.tag.replace(/[(),]/g, "").toLowerCase();
    if (rowHex.startsWith(hex)) return true;
  }
  const words = q.replace(/[^a-z0-9"]/g, "");
  return (
    words.length > 0 &&
    row.name
      .toLowerCase()
      .replace(/[^a-z0-9"]/g, "")
      .includes(words)
  );
}

export interface FilteredRows {
  readonly rows: readonly TagRow[];
  /** Keys of the sequences to show open because they hold a match. */
  readonly open: ReadonlySet<string>;
  readonly matches: number;
}

/** The rows that match, with the sequences leading to a match (those are listed in `open`). */
export function filterRows(rows: readonly TagRow[], query: string): FilteredRows {
  const open = new Set<string>();
  let matches = 0;
  const walk = (list: readonly TagRow[]): TagRow[] => {
    const out: TagRow[] = [];
    for (const row of list) {
      const self = rowMatches(row, query);
      if (self) matches++;
      if (row.items) {
        const items = row.items.map(walk);
        const inside = items.some((i) => i.length > 0);
        if (inside) open.add(row.key);
        // A matching sequence keeps all its items; otherwise only the matching rows inside it.
        if (self) out.push(row);
        else if (inside) out.push({ ...row, items });
      } else if (self) {
        out.push(row);
      }
    }
    return out;
  };
  if (!query.trim()) return { rows, open, matches: 0 };
  return { rows: walk(rows), open, matches };
}
