/**
 * Contact sheets: a grid of studies, each cell the frontal and lateral view side by side with the study id and
 * its rendered findings underneath, so a person can look at the renderings.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { describeFinding, type StudyFindings } from "../../src-main/services/language/report-findings";
import { quantize } from "./detector";
import { renderStudy } from "./render";

type Overlay = NonNullable<Parameters<ReturnType<typeof sharp>["composite"]>[0]>[number];

export interface ContactSheetOptions {
  /** Pixel size of each view in the sheet. */
  tile?: number;
  /** Studies per row. */
  columns?: number;
  title?: string;
  /** Rendered dataset root to read <root>/images/<id>/0.png and 1.png from; rendered on the fly when absent. */
  datasetRoot?: string;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

/** Wraps caption words into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

async function viewPng(study: StudyFindings, datasetRoot: string | undefined, tile: number): Promise<[Buffer, Buffer]> {
  const id = study.spec.id;
  if (datasetRoot) {
    const frontal = path.join(datasetRoot, "images", id, "0.png");
    const lateral = path.join(datasetRoot, "images", id, "1.png");
    if (existsSync(frontal) && existsSync(lateral)) {
      return Promise.all([
        sharp(frontal).greyscale().resize(tile, tile).png().toBuffer(),
        sharp(lateral).greyscale().resize(tile, tile).png().toBuffer(),
      ]);
    }
  }
  const rendered = renderStudy(study.spec, Math.max(256, tile));
  const size = rendered.frontal.width;
  const raw = { raw: { width: size, height: size, channels: 1 as const } };
  return Promise.all([
    sharp(Buffer.from(quantize(rendered.frontal, 8)), raw)
      .resize(tile, tile)
      .png()
      .toBuffer(),
    sharp(Buffer.from(quantize(rendered.lateral, 8)), raw)
      .resize(tile, tile)
      .png()
      .toBuffer(),
  ]);
}

/** Writes the sheet as PNG and returns its path. */
export async function writeContactSheet(
  studies: readonly StudyFindings[],
  outPath: string,
  options: ContactSheetOptions = {},
): Promise<string> {
  if (studies.length === 0) throw new Error("contact sheet: no studies selected");
  const tile = options.tile ?? 256;
  const columns = Math.max(1, Math.min(options.columns ?? 4, studies.length));
  const cellWidth = tile * 2 + 8;
  const charsPerLine = Math.floor(cellWidth / 7.2);
  const captions = studies.map((s) => {
    const findings = s.spec.findings.map(describeFinding);
    return [s.spec.id, ...wrap(findings.length ? findings.join("; ") : "no rendered findings", charsPerLine)].slice(
      0,
      6,
    );
  });
  const captionHeight = 14 * Math.max(...captions.map((c) => c.length)) + 8;
  const cellHeight = tile + captionHeight + 8;
  const rows = Math.ceil(studies.length / columns);
  const titleHeight = 30;
  const width = columns * cellWidth;
  const height = titleHeight + rows * cellHeight;
  const composites: Overlay[] = [];
  const texts: string[] = [];
  const title = options.title ?? "Synthetic chest radiographs (simulation, not real images)";
  texts.push(`<text x="8" y="20" font-size="15" fill="#ffd54f">${escapeXml(title)}</text>`);
  for (let i = 0; i < studies.length; i++) {
    const col = i % columns;
    const row = Math.floor(i / columns);
    const left = col * cellWidth;
    const top = titleHeight + row * cellHeight;
    const [frontal, lateral] = await viewPng(studies[i]!, options.datasetRoot, tile);
    composites.push({ input: frontal, left, top }, { input: lateral, left: left + tile + 4, top });
    captions[i]!.forEach((line, k) => {
      const weight = k === 0 ? ' font-weight="bold"' : "";
      texts.push(
        `<text x="${left + 2}" y="${top + tile + 14 + 14 * k}" font-size="12"${weight} fill="#e0e0e0">${escapeXml(line)}</text>`,
      );
    });
  }
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="DejaVu Sans, sans-serif">${texts.join("")}</svg>`;
  composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  await mkdir(path.dirname(outPath), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background: "#101010" } })
    .composite(composites)
    .png()
    .toFile(outPath);
  return outPath;
}
