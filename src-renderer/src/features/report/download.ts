/**
 * Hands an exported file to the user: a download of the bytes under the suggested name. In the loopback harness the
 * browser saves it (Playwright sees a download); in the Electron shell the default download handling asks where to
 * save it with the system's save dialog.
 */
import type { ExportResult } from "../../../../src-shared/report-types";

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function saveExport(file: ExportResult): void {
  saveBlob(new Blob([base64ToBytes(file.base64)], { type: file.mimeType }), file.fileName);
}

/** A text file (the macros JSON export) handed to the user the same way. */
export function saveText(fileName: string, text: string, mimeType: string): void {
  saveBlob(new Blob([text], { type: mimeType }), fileName);
}

function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Give the browser time to start reading the blob before it goes away.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
