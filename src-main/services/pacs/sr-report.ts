/**
 * A DICOM SR report read back with dcmjs (reports signed on any workstation and stored on the PACS): the Findings
 * text the retrieval index uses (`npm run index -- --dicomweb`), every section as the radiologist reads it (a prior's
 * report beside the current study), the flags and who verified it when.
 */
import { loadCommonJs } from "../imaging/commonjs-packages";

const FINDINGS = "121070";

interface DcmjsItem {
  ValueType?: string;
  TextValue?: string;
  ConceptNameCodeSequence?: Array<{ CodeValue?: string; CodeMeaning?: string }> | { CodeValue?: string };
  ContentSequence?: DcmjsItem[] | DcmjsItem;
}
interface DcmjsData {
  DicomMessage: { readFile(b: ArrayBuffer): { dict: Record<string, unknown> } };
  DicomMetaDictionary: { naturalizeDataset(d: Record<string, unknown>): Record<string, unknown> };
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export interface SrReport {
  /** The TEXT items under Findings, else every TEXT item, as one line. */
  text: string;
  /** Each top-level section (CONTAINER) with its text, in document order; loose TEXT items under "Report". */
  sections: Array<{ heading: string; text: string }>;
  verified: boolean;
  complete: boolean;
  /** The verifying observer's name as people write it ("Dr Anna Smith" from Smith^Anna^^Dr), when verified. */
  verifiedBy: string | null;
  /** ContentDate + ContentTime as YYYYMMDDHHMMSS (or shorter), when present. */
  contentDateTime: string | null;
}

function personName(value: unknown): string | null {
  const v = asArray(value as unknown[])[0] as { Alphabetic?: string } | string | undefined;
  const name = typeof v === "string" ? v : v?.Alphabetic;
  if (!name) return null;
  // Family^Given^Middle^Prefix^Suffix, read as "Prefix Given Middle Family Suffix".
  const [family = "", given = "", middle = "", prefix = "", suffix = ""] = name.split("^");
  return (
    [prefix, given, middle, family, suffix]
      .map((p) => p.trim())
      .filter(Boolean)
      .join(" ") || null
  );
}

/** Reads a DICOM SR (Part 10 bytes). */
export function readSrReport(bytes: Uint8Array): SrReport {
  const { data } = loadCommonJs<{ data: DcmjsData }>("dcmjs");
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const ds = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(ab).dict) as DcmjsItem & {
    VerificationFlag?: string;
    CompletionFlag?: string;
    VerifyingObserverSequence?: Array<{ VerifyingObserverName?: unknown }> | { VerifyingObserverName?: unknown };
    ContentDate?: string;
    ContentTime?: string;
  };
  const findings: string[] = [];
  const all: string[] = [];
  const walk = (items: DcmjsItem[], inFindings: boolean, into: string[]) => {
    for (const item of items) {
      const concept = asArray(item.ConceptNameCodeSequence)[0]?.CodeValue;
      const here = inFindings || (item.ValueType === "CONTAINER" && concept === FINDINGS);
      if (item.ValueType === "TEXT" && item.TextValue?.trim()) {
        all.push(item.TextValue.trim());
        into.push(item.TextValue.trim());
        if (here) findings.push(item.TextValue.trim());
      }
      walk(asArray(item.ContentSequence), here, into);
    }
  };
  const sections: SrReport["sections"] = [];
  const loose: string[] = [];
  for (const item of asArray(ds.ContentSequence)) {
    if (item.ValueType === "CONTAINER") {
      const texts: string[] = [];
      walk([item], false, texts);
      const heading =
        (asArray(item.ConceptNameCodeSequence)[0] as { CodeMeaning?: string } | undefined)?.CodeMeaning ?? "Section";
      if (texts.length) sections.push({ heading, text: texts.join("\n") });
    } else walk([item], false, loose);
  }
  if (loose.length) sections.push({ heading: "Report", text: loose.join("\n") });
  const verifying = asArray(ds.VerifyingObserverSequence)[0];
  const when = `${ds.ContentDate ?? ""}${ds.ContentTime ?? ""}`.trim();
  return {
    text: (findings.length ? findings : all).join(" ").replace(/\s+/g, " ").trim(),
    sections,
    verified: ds.VerificationFlag === "VERIFIED",
    complete: ds.CompletionFlag === "COMPLETE",
    verifiedBy: verifying ? personName(verifying.VerifyingObserverName) : null,
    contentDateTime: when || null,
  };
}
