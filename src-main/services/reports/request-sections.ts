/**
 * Indication and Comparison as the study's own records give them, before anyone types (docs/reports.md):
 * - Indication: the order's Reason for the Requested Procedure (0040,1002), else its Reason for Study (0032,1030),
 *   then "Admitting diagnosis: …" from Admitting Diagnoses Description (0008,1080) — each read from the DICOM files
 *   at the top level and in the Request Attributes Sequence.
 * - Comparison: the same patient's earlier studies in the case database (same Patient ID, an earlier Study Date,
 *   both from DICOM), newest first, at most three.
 * Empty when the files and the database carry none of it. Pure.
 */
import type { StudyRequest } from "../../../src-shared/imaging/image-types";

export interface PriorStudy {
  /** Study Date as stored (YYYYMMDD). */
  studyDate: string;
  description: string | null;
}

export const MAX_COMPARISON_STUDIES = 3;

function sentence(text: string): string {
  const t = text.trim().replace(/\s+/g, " ");
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function distinct(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of values) {
    const key = v.trim().toLowerCase();
    if (key && !seen.has(key)) {
      seen.add(key);
      out.push(v.trim());
    }
  }
  return out;
}

export function indicationFromRequests(requests: readonly StudyRequest[]): string {
  const reasons = distinct(requests.flatMap((r) => r.reasonForRequestedProcedure));
  const forStudy = reasons.length ? [] : distinct(requests.flatMap((r) => r.reasonForStudy));
  const diagnoses = distinct(requests.flatMap((r) => r.admittingDiagnoses));
  const parts = [...reasons, ...forStudy].map(sentence);
  if (diagnoses.length) parts.push(sentence(`Admitting diagnosis: ${diagnoses.join("; ")}`));
  return parts.join(" ");
}

/** "20240302" -> "2024-03-02" (other forms as stored). */
function displayDate(da: string): string {
  return /^\d{8}$/.test(da) ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}` : da;
}

export function comparisonFromPriors(priors: readonly PriorStudy[]): string {
  return priors
    .slice(0, MAX_COMPARISON_STUDIES)
    .map((p) =>
      sentence(
        p.description?.trim() ? `${p.description.trim()} of ${displayDate(p.studyDate)}` : displayDate(p.studyDate),
      ),
    )
    .join(" ");
}
