/**
 * The renderer's Content Security Policy: only the app's own code, no remote content.
 * 'wasm-unsafe-eval' lets the DICOM codecs (WebAssembly) run; blob: workers host the codec workers.
 * rd-image: is the Electron shell's image-file scheme (the viewer fetches imported images there).
 */
import { IMAGE_SCHEME } from "../../src-shared/import-types";

export function contentSecurityPolicy(options: { connectSrc?: string[] } = {}): string {
  const connect = ["'self'", `${IMAGE_SCHEME}:`, ...(options.connectSrc ?? [])].join(" ");
  return [
    "default-src 'none'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    `img-src 'self' data: blob: ${IMAGE_SCHEME}:`,
    "font-src 'self'",
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}
