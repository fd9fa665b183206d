/**
 * The CommonJS package this service loads by path (dcmjs-codecs is a webpack UMD bundle whose named exports ESM
 * cannot see, and its .wasm is found next to its file). One createRequire for the whole service: bundlers keep `require` unrenamed, so a second
 * top-level `const require` in the same chunk would be a duplicate declaration.
 */
import { createRequire } from "node:module";
import type * as DcmjsCodecs from "dcmjs-codecs";

const requireCommonJs = createRequire(import.meta.url);

export type DcmjsCodecsModule = typeof DcmjsCodecs;

export function loadDcmjsCodecs(): DcmjsCodecsModule {
  return requireCommonJs("dcmjs-codecs") as DcmjsCodecsModule;
}

/** Absolute path of a package's file (package specifier as for require.resolve). */
export function resolvePackagePath(specifier: string): string {
  return requireCommonJs.resolve(specifier);
}
