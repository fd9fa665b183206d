/**
 * The CommonJS packages this service loads (dicom-parser and dcmjs-codecs are webpack UMD bundles whose named
 * exports ESM cannot see). One createRequire for the whole service: bundlers keep `require` unrenamed, so a second
 * top-level `const require` in the same chunk would be a duplicate declaration.
 */
import { createRequire } from "node:module";
import type * as DcmjsCodecs from "dcmjs-codecs";
import type * as DicomParser from "dicom-parser";

const requireCommonJs = createRequire(import.meta.url);

export const dicomParser = requireCommonJs("dicom-parser") as typeof DicomParser;

export type DcmjsCodecsModule = typeof DcmjsCodecs;

export function loadDcmjsCodecs(): DcmjsCodecsModule {
  return requireCommonJs("dcmjs-codecs") as DcmjsCodecsModule;
}

/** Absolute path of a package's file (package specifier as for require.resolve). */
export function resolvePackagePath(specifier: string): string {
  return requireCommonJs.resolve(specifier);
}
