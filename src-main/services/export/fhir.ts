/**
 * FHIR R4 DiagnosticReport (JSON) of a signed report: status final (appended after an addendum), code LOINC 18748-4 "Diagnostic imaging study",
 * the patient (contained Patient), the study (ImagingStudy by its DICOM Study Instance UID), effective and issued
 * times, the signing radiologist as performer and resultsInterpreter, the impression as conclusion and the whole
 * report as presentedForm (text/plain, base64).
 */
import { formatPlainText, isoDate, type ReportDocument, uidFromName } from "./report-document";

export interface FhirDiagnosticReport {
  resourceType: "DiagnosticReport";
  id: string;
  [key: string]: unknown;
}

/** FHIR ids: [A-Za-z0-9\-\.]{1,64}. */
const fhirId = (value: string) => value.replace(/[^A-Za-z0-9.-]+/g, "-").slice(0, 64) || "report";

function patientNameParts(name: string | null): Record<string, unknown>[] | undefined {
  if (!name) return undefined;
  if (name.includes("^")) {
    const [family, given, middle] = name.split("^");
    const givens = [given, middle].filter((g): g is string => !!g && g.trim() !== "");
    return [
      {
        text: [...givens, family].filter(Boolean).join(" "),
        ...(family ? { family } : {}),
        ...(givens.length ? { given: givens } : {}),
      },
    ];
  }
  return [{ text: name }];
}

export function renderFhirDiagnosticReport(doc: ReportDocument): FhirDiagnosticReport {
  const s = doc.study;
  const text = formatPlainText(doc);
  const studyUid = s.studyInstanceUid ?? uidFromName(`radiology-draft/study/${s.id}`);
  const reportUid = uidFromName(`radiology-draft/fhir/${studyUid}/${doc.signedReportId}`);
  const patient: Record<string, unknown> = {
    resourceType: "Patient",
    id: "patient",
    ...(s.patientId ? { identifier: [{ value: s.patientId }] } : {}),
    ...(patientNameParts(s.patientName) ? { name: patientNameParts(s.patientName) } : {}),
  };
  const impression = doc.sections.impression.trim();
  const studyDate = isoDate(s.studyDate);
  return {
    resourceType: "DiagnosticReport",
    id: fhirId(`report-${s.id}`),
    contained: [patient],
    identifier: [
      { system: "urn:dicom:uid", value: `urn:oid:${reportUid}` },
      // The images' Accession Number (issue 18.5), typed ACSN as HL7 v2 table 0203 names it.
      ...(s.accessionNumber
        ? [
            {
              type: {
                coding: [
                  { system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "ACSN", display: "Accession ID" },
                ],
              },
              value: s.accessionNumber,
            },
          ]
        : []),
    ],
    // R4: "appended" once addenda were added after the report was final (its content unchanged); the addenda are in
    // presentedForm (the plain-text export prints them after the signature).
    status: doc.addenda.length > 0 ? "appended" : "final",
    category: [
      {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0074", code: "RAD", display: "Radiology" }],
      },
    ],
    code: {
      coding: [{ system: "http://loinc.org", code: "18748-4", display: "Diagnostic imaging study" }],
      text: s.description ?? "Chest radiograph",
    },
    subject: {
      reference: "#patient",
      display: s.patientName?.replace(/\^+/g, " ").trim() || s.patientId || s.id,
    },
    effectiveDateTime: studyDate ?? doc.signedAt,
    issued: doc.signedAt,
    performer: [interpreter(doc), ...(s.institutionName ? [{ display: s.institutionName }] : [])],
    resultsInterpreter: [interpreter(doc)],
    imagingStudy: [
      {
        identifier: { system: "urn:dicom:uid", value: `urn:oid:${studyUid}` },
        display: s.description ?? "Chest radiograph",
      },
    ],
    ...(impression ? { conclusion: impression } : {}),
    presentedForm: [
      {
        contentType: "text/plain; charset=utf-8",
        language: "en-US",
        data: Buffer.from(text, "utf8").toString("base64"),
        title: "Chest radiograph report",
        creation: doc.signedAt,
      },
    ],
  };
}

/** The signer: the local account's user name as identifier when an account signed, else the name alone. */
function interpreter(doc: ReportDocument): { display: string; identifier?: { system: string; value: string } } {
  return doc.signedByAccount
    ? { display: doc.signedBy, identifier: { system: ACCOUNT_SYSTEM, value: doc.signedByAccount.username } }
    : { display: doc.signedBy };
}

/** Identifier system of the workstation's local accounts. */
export const ACCOUNT_SYSTEM = "urn:radiology-draft:account";
