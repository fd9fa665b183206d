/** One entry point for every export format: bytes, a suggested file name and the MIME type. */
import type { ExportFormat, ExportResult, PaperSize } from "../../../src-shared/report-types";
import { renderDicomSr } from "./dicom-sr";
import { renderFhirDiagnosticReport } from "./fhir";
import { renderPdf } from "./pdf";
import { exportFileStem, formatPlainText, type ReportDocument } from "./report-document";

export interface ExportedFile {
  format: ExportFormat;
  fileName: string;
  mimeType: string;
  bytes: Buffer;
}

export async function exportReport(
  doc: ReportDocument,
  format: ExportFormat,
  options: { paper?: PaperSize } = {},
): Promise<ExportedFile> {
  const stem = exportFileStem(doc);
  switch (format) {
    case "pdf":
      return {
        format,
        fileName: `${stem}.pdf`,
        mimeType: "application/pdf",
        bytes: await renderPdf(doc, options.paper ?? "LETTER"),
      };
    case "dicom-sr":
      return { format, fileName: `${stem}.sr.dcm`, mimeType: "application/dicom", bytes: renderDicomSr(doc) };
    case "fhir":
      return {
        format,
        fileName: `${stem}.fhir.json`,
        mimeType: "application/fhir+json",
        bytes: Buffer.from(`${JSON.stringify(renderFhirDiagnosticReport(doc), null, 2)}\n`, "utf8"),
      };
    case "text":
      return {
        format,
        fileName: `${stem}.txt`,
        mimeType: "text/plain; charset=utf-8",
        bytes: Buffer.from(formatPlainText(doc), "utf8"),
      };
  }
}

export function toExportResult(file: ExportedFile): ExportResult {
  return {
    format: file.format,
    fileName: file.fileName,
    mimeType: file.mimeType,
    base64: file.bytes.toString("base64"),
    byteLength: file.bytes.length,
  };
}
