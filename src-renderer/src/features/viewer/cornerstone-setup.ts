/**
 * One-time set-up of cornerstone-core and its image loaders:
 * - DICOM: cornerstone-wado-image-loader ("wadouri:<url>") with dicom-parser; every request carries the image-file
 *   transport's headers (beforeSend), and every file is read, checked and normalised before parsing by
 *   ./dicom-normalize.ts (beforeProcessing): damaged or unsupported files fail there, with the reason kept for the
 *   viewport's message (the loader itself rejects with the bare XMLHttpRequest).
 *   Its codecs (JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000, HTJ2K; WebAssembly inlined in the bundle) run in
 *   its web workers, created from blob: URLs; the CSP allows exactly that ('wasm-unsafe-eval', worker-src blob:).
 * - PNG and JPEG: the raster loader ("rdraster:<url>").
 */
import * as cornerstone from "cornerstone-core";
import cornerstoneWADOImageLoader from "cornerstone-wado-image-loader";
import dicomParser from "dicom-parser";
import { isImagingError } from "../../../../src-shared/imaging/errors";
import type { ImageFormat } from "../../../../src-shared/import-types";
import { imageRequestHeaders, imageUrl } from "../../ipc/transport";
import { normalizeDicomBytes } from "./dicom-normalize";
import { initMeasureTools } from "./measure-tools";
import { loadRasterImage, RASTER_SCHEME } from "./raster-image-loader";

let initialised = false;

/** Why normalisation refused a response (the loader rejects with the XMLHttpRequest and drops the error). */
const refusals = new WeakMap<XMLHttpRequest, string>();

/** Text of a failed image request (the server answers JSON {error: {message}}). */
function xhrErrorText(xhr: XMLHttpRequest): string {
  try {
    const text = new TextDecoder().decode(xhr.response as ArrayBuffer);
    const body = JSON.parse(text) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    /* not JSON */
  }
  return `HTTP ${xhr.status}`;
}

export function initCornerstone(): typeof cornerstone {
  if (initialised) return cornerstone;
  initialised = true;
  cornerstoneWADOImageLoader.external.cornerstone = cornerstone;
  cornerstoneWADOImageLoader.external.dicomParser = dicomParser;
  cornerstoneWADOImageLoader.configure({
    beforeSend: () => imageRequestHeaders(),
    beforeProcessing: (xhr) =>
      normalizeDicomBytes(xhr.response as ArrayBuffer).catch((err: unknown) => {
        refusals.set(xhr, isImagingError(err) ? err.reason : err instanceof Error ? err.message : String(err));
        throw err;
      }),
    strict: false,
  });
  cornerstoneWADOImageLoader.webWorkerManager.initialize({
    maxWebWorkers: Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1)),
    // Started with the viewer, not on the first click (issue 19.3: the first image of a session is not slower).
    startWebWorkersOnDemand: false,
    taskConfiguration: { decodeTask: { initializeCodecsOnStartup: false, strict: false } },
  });
  cornerstone.registerImageLoader(RASTER_SCHEME, loadRasterImage);
  cornerstone.imageCache.setMaximumSizeBytes(512 * 1024 * 1024);
  // cornerstone-tools registers every element enabled after this (the viewports' measuring tools).
  initMeasureTools();
  return cornerstone;
}

/**
 * The cornerstone image id of an imported image. DICOM is asked for "for the viewer": main answers a compressed
 * file with its decoded copy where one is ready (docs/viewer.md), so a 2k×2k JPEG 2000 or JPEG-LS image is not
 * decoded here; the tag browser fetches the file itself (imageUrl).
 */
export function cornerstoneImageId(imageId: string, format: ImageFormat): string {
  const url = imageUrl(imageId);
  return format === "dicom" ? `wadouri:${url}?for=viewer` : `${RASTER_SCHEME}:${url}`;
}

/**
 * The cornerstone image id of the reduced-resolution copy main keeps of a large compressed DICOM image
 * (ImageSource.preview), painted first while the full image loads.
 */
export function previewImageId(imageId: string): string {
  return `wadouri:${imageUrl(imageId)}?for=viewer-preview`;
}

/** A readable message for whatever a failed image load rejected with. */
export function describeLoadError(err: unknown): string {
  if (isImagingError(err)) return err.reason;
  if (err instanceof Error) return err.message;
  if (typeof err === "string") return err;
  if (err instanceof XMLHttpRequest) {
    const refused = refusals.get(err);
    if (refused) return refused;
    if (err.status >= 400) return xhrErrorText(err);
  }
  if (err && typeof err === "object") {
    const o = err as { request?: XMLHttpRequest; error?: unknown; message?: string; exception?: string };
    if (o.request instanceof XMLHttpRequest && o.request.status >= 400) return xhrErrorText(o.request);
    if (o.exception) return o.exception;
    if (o.message) return o.message;
    if (o.error) return describeLoadError(o.error);
  }
  return "the image could not be loaded";
}
