/**
 * The viewer's decoded copy of a compressed DICOM file (issue 19.3): the file transcoded to Explicit VR Little Endian
 * by the one transcoder (src-shared/imaging/dicom-part10.ts, which the renderer's worker runs too) with this process's
 * codecs, so the viewer shows a 2k×2k JPEG 2000 or JPEG-LS image without decoding it in the renderer (a 2k J2K frame
 * takes ~0.8 s in WebAssembly). Written in a decode worker (ImageDecodePool.viewerCopy), after the import, to a
 * content-addressed file (`<sha256>.dcm`) that the file service serves in place of the original; an image larger than
 * PREVIEW_MAX_LONG_SIDE also gets a reduced-resolution copy (`<sha256>.preview.dcm`, reducedResolutionCopy) that the
 * viewer paints first.
 *
 * Only Part 10 files with encapsulated grayscale pixel data get a copy; anything else (native data, colour, raw data
 * sets, deflated files) is shown as before — the renderer's normalisation (viewer/dicom-normalize.ts) handles it.
 */
import crypto from "node:crypto";
import fs from "node:fs/promises";
import { reducedResolutionCopy, transcodeToExplicitLittleEndian } from "../../../src-shared/imaging/dicom-part10";
import { readDicomImage, sniffDicom } from "../../../src-shared/imaging/dicom-reader";
import { throwIfAborted } from "../../../src-shared/imaging/errors";
import { readImageFileBytes, resolveDecodeOptions } from "./decode-image";
import { decodeFrame } from "./native-codecs";

export type ViewerCopyOutcome =
  | { readonly written: true; readonly bytes: number; readonly preview: boolean }
  | { readonly written: false; readonly reason: "not-needed" | "changed" };

/** Where the reduced-resolution copy of the viewer copy `target` is written. */
export function previewPathOf(target: string): string {
  return target.replace(/\.dcm$/, ".preview.dcm");
}

async function writeAtomically(target: string, bytes: Uint8Array): Promise<void> {
  const partial = `${target}.${process.pid}.partial`;
  await fs.writeFile(partial, bytes);
  await fs.rename(partial, target);
}

/**
 * Writes the viewer copy of `path` to `target` (and its reduced-resolution copy beside it) when the file still has `sha256` and has compressed grayscale pixel
 * data; else says why not. A damaged file fails with the ImagingError naming it (as at import).
 */
export async function writeViewerCopy(
  path: string,
  sha256: string,
  target: string,
  signal?: AbortSignal,
): Promise<ViewerCopyOutcome> {
  const bytes = await readImageFileBytes(path, resolveDecodeOptions(path, { signal }));
  if (crypto.createHash("sha256").update(bytes).digest("hex") !== sha256) return { written: false, reason: "changed" };
  if (sniffDicom(bytes)?.kind !== "part10") return { written: false, reason: "not-needed" };
  const { parsed, image } = readDicomImage(bytes, path, { consumer: "viewer" });
  if (parsed.transferSyntax.codec === "native" || !image.encapsulated || image.samplesPerPixel !== 1)
    return { written: false, reason: "not-needed" };
  throwIfAborted(path, signal);
  const out = await transcodeToExplicitLittleEndian(bytes, (frame) => decodeFrame(frame, path), path);
  throwIfAborted(path, signal);
  const preview = reducedResolutionCopy(out, path);
  // The preview first: the full copy's presence is what says both are there.
  if (preview) await writeAtomically(previewPathOf(target), preview);
  await writeAtomically(target, out);
  return { written: true, bytes: out.byteLength + (preview?.byteLength ?? 0), preview: preview !== null };
}
