/**
 * End-to-end helper: clicks each export button of the report pane and saves the download it triggers.
 */
import path from "node:path";
import type { Page } from "@playwright/test";

export const EXPORT_BUTTONS = [
  ["PDF", "pdf"],
  ["DICOM SR", "sr"],
  ["FHIR", "fhir"],
  ["Text", "text"],
] as const;

export type ExportFormat = (typeof EXPORT_BUTTONS)[number][1];

/** Clicks every export button and saves each download under `folder` with its suggested name; returns the paths. */
export async function downloadExports(page: Page, folder: string): Promise<Record<ExportFormat, string>> {
  const saved: Partial<Record<ExportFormat, string>> = {};
  for (const [button, format] of EXPORT_BUTTONS) {
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: button, exact: true }).click();
    const file = await download;
    const target = path.join(folder, file.suggestedFilename());
    await file.saveAs(target);
    saved[format] = target;
  }
  return saved as Record<ExportFormat, string>;
}
