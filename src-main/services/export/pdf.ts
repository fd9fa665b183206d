/**
 * PDF of a signed report (pdfkit): header with patient and study, the sections, the signature line, the
 * "AI-assisted draft reviewed and signed by ..." note, addenda, and page numbers. Letter or A4. DejaVu Sans when the
 * system has it (full Unicode, embedded: the file then aims at PDF/A-2b), the PDF standard Helvetica otherwise (plain
 * PDF 1.3, not archival).
 */
import fs from "node:fs";
import { measurementSentence } from "../../../src-shared/measurements";
import type { PaperSize } from "../../../src-shared/report-types";
import { SECTION_KEYS, SECTION_TITLES } from "../../../src-shared/report-types";
import {
  aiNote,
  criticalNote,
  displayInstant,
  displayName,
  isoDate,
  type ReportDocument,
  studyHeaderRows,
} from "./report-document";

const DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu";
const FONTS = {
  regular: { file: "DejaVuSans.ttf", fallback: "Helvetica" },
  bold: { file: "DejaVuSans-Bold.ttf", fallback: "Helvetica-Bold" },
  italic: { file: "DejaVuSans-Oblique.ttf", fallback: "Helvetica-Oblique" },
} as const;

type FontRole = keyof typeof FONTS;

const INK = "#111111";
const MUTED = "#555555";
const RULE = "#999999";

/** Whether DejaVu Sans is installed: only embedded fonts make a PDF/A, so the standard-14 fallback writes plain PDF. */
export const pdfFontsEmbedded = () => Object.values(FONTS).every((f) => fs.existsSync(`${DEJAVU_DIR}/${f.file}`));

export async function renderPdf(doc: ReportDocument, paper: PaperSize = "LETTER"): Promise<Buffer> {
  // pdfkit (with fontkit) is imported at the first export, not at start-up (issue 19.4).
  const { default: PDFDocument } = await import("pdfkit");
  const signedAt = new Date(doc.signedAt);
  const archival = pdfFontsEmbedded();
  const pdf = new PDFDocument({
    // PDF/A-2b (archival): PDF 1.7, every font embedded (DejaVu), XMP metadata with the pdfaid part and conformance
    // and an sRGB output intent, both written by pdfkit.
    ...(archival ? { pdfVersion: "1.7" as const, subset: "PDF/A-2b" as const, lang: "en-US", displayTitle: true } : {}),
    size: paper,
    margins: { top: 54, bottom: 64, left: 60, right: 60 },
    bufferPages: true,
    info: {
      Title: `Chest radiograph report ${displayName(doc.study.patientName) ?? doc.study.id}`,
      Author: doc.signedBy,
      Subject: "Radiology report",
      Creator: `${doc.application.name} ${doc.application.version}`,
      CreationDate: Number.isNaN(signedAt.getTime()) ? new Date() : signedAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on("data", (c: Buffer) => chunks.push(c));
    pdf.on("end", () => resolve(Buffer.concat(chunks)));
    pdf.on("error", reject);
  });

  for (const [role, f] of Object.entries(FONTS) as Array<[FontRole, (typeof FONTS)[FontRole]]>) {
    const file = `${DEJAVU_DIR}/${f.file}`;
    pdf.registerFont(role, fs.existsSync(file) ? file : f.fallback);
  }
  const left = pdf.page.margins.left;
  const width = pdf.page.width - pdf.page.margins.left - pdf.page.margins.right;
  const rule = (color = RULE) => {
    const y = pdf.y;
    pdf
      .moveTo(left, y)
      .lineTo(left + width, y)
      .lineWidth(0.6)
      .strokeColor(color)
      .stroke();
    pdf.moveDown(0.4);
  };

  // Header
  pdf.font("bold").fontSize(15).fillColor(INK).text("Chest Radiograph Report", left, pdf.y, { width });
  pdf.font("regular").fontSize(8.5).fillColor(MUTED).text(`${doc.application.name} ${doc.application.version}`, {
    width,
  });
  pdf.moveDown(0.5);
  rule(INK);
  const s = doc.study;
  const rows = studyHeaderRows(s);
  if (!s.description) rows.splice(3, 0, ["Study", "Chest radiograph"]);
  for (const [label, value] of rows) {
    const y = pdf.y;
    pdf.font("bold").fontSize(9.5).fillColor(MUTED).text(label, left, y, { width: 90 });
    pdf
      .font("regular")
      .fontSize(9.5)
      .fillColor(INK)
      .text(value, left + 95, y, { width: width - 95 });
    pdf.moveDown(0.15);
  }
  pdf.moveDown(0.4);
  rule();

  // Sections
  for (const key of SECTION_KEYS) {
    const text = doc.sections[key].trim();
    if (text === "") continue;
    pdf.moveDown(0.3);
    pdf.font("bold").fontSize(10).fillColor(INK).text(SECTION_TITLES[key].toUpperCase(), left, pdf.y, {
      width,
      characterSpacing: 0.5,
    });
    pdf.moveDown(0.2);
    pdf.font("regular").fontSize(11).fillColor(INK).text(text, { width, lineGap: 2 });
    pdf.moveDown(0.4);
  }

  // Measurements signed with the report, one sentence each (with the calibration)
  const measurements = doc.measurements ?? [];
  if (measurements.length > 0) {
    pdf.moveDown(0.3);
    pdf.font("bold").fontSize(10).fillColor(INK).text("MEASUREMENTS", left, pdf.y, { width, characterSpacing: 0.5 });
    pdf.moveDown(0.2);
    for (const m of measurements) {
      pdf.font("regular").fontSize(10.5).fillColor(INK).text(measurementSentence(m), { width, lineGap: 2 });
    }
    pdf.moveDown(0.4);
  }

  // Signature
  pdf.moveDown(1.2);
  rule(INK);
  pdf
    .font("bold")
    .fontSize(10.5)
    .fillColor(INK)
    .text(`Electronically signed by ${doc.signedBy}`, left, pdf.y, { width });
  pdf.font("regular").fontSize(9.5).fillColor(MUTED).text(displayInstant(doc.signedAt), { width });
  const critical = criticalNote(doc);
  if (critical) {
    pdf.moveDown(0.3);
    pdf.font("bold").fontSize(10).fillColor(INK).text(critical, { width });
  }
  const note = aiNote(doc);
  if (note) {
    pdf.moveDown(0.3);
    pdf.font("italic").fontSize(9.5).fillColor(MUTED).text(note, { width });
  }

  // Addenda
  for (const a of doc.addenda) {
    pdf.moveDown(1);
    pdf
      .font("bold")
      .fontSize(10)
      .fillColor(INK)
      .text(`ADDENDUM — ${displayInstant(a.createdAt)} — ${a.author}`, left, pdf.y, { width });
    pdf.moveDown(0.2);
    pdf.font("regular").fontSize(11).fillColor(INK).text(a.text.trim(), { width, lineGap: 2 });
  }

  // Footer on every page
  const range = pdf.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    pdf.switchToPage(i);
    const bottom = pdf.page.height - pdf.page.margins.bottom + 24;
    const saved = pdf.page.margins.bottom;
    pdf.page.margins.bottom = 0;
    pdf
      .font("regular")
      .fontSize(8)
      .fillColor(MUTED)
      .text(
        `${displayName(s.patientName) ?? s.id} · ${isoDate(s.studyDate) ?? ""} · report ${doc.textSha256.slice(0, 12)} · page ${i - range.start + 1} of ${range.count}`,
        left,
        bottom,
        { width, align: "center", lineBreak: false },
      );
    pdf.page.margins.bottom = saved;
  }
  pdf.end();
  return done;
}
