/**
 * The CommonJS package this service loads by path (dcmjs-codecs is a webpack UMD bundle whose named exports ESM
 * cannot see, and its .wasm is found next to its file). One createRequire for the whole service: bundlers keep `require` unrenamed, so a second
 * top-level `const require` in the same chunk would be a duplicate declaration.
 */
import { createRequire } from "node:module";
import type * as DcmjsCodecs from "dcmjs-codecs";
import { ImagingError } from "../../../src-shared/imaging/errors";

const requireCommonJs = createRequire(import.meta.url);

export type DcmjsCodecsModule = typeof DcmjsCodecs;

/**
 * A CommonJS package by specifier (e.g. dcmjs, which the PACS and export modules load at first use). Every
 * main-process module loads CommonJS through here rather than declaring its own `require`: electron-vite's shim
 * adds a top-level `const require` to a chunk that has one, and the built harness (out/main/harness.js) then fails.
 */
export function loadCommonJs<T>(specifier: string): T {
  return requireCommonJs(specifier) as T;
}

export function loadDcmjsCodecs(): DcmjsCodecsModule {
  return requireCommonJs("dcmjs-codecs") as DcmjsCodecsModule;
}

/** Absolute path of a package's file (package specifier as for require.resolve). */
export function resolvePackagePath(specifier: string): string {
  return requireCommonJs.resolve(specifier);
}

/** The Emscripten factory of a cornerstone codec build (it finds its .wasm next to its own file). */
export type EmscriptenFactory<M> = (moduleOverrides?: {
  print?: (text: string) => void;
  printErr?: (text: string) => void;
}) => Promise<M>;

/**
 * A WebAssembly codec instantiated once in this thread, on the first get(). A failed instantiation is forgotten, so
 * the next get() tries again; it rejects as CODEC_UNAVAILABLE for the file being decoded (`forPath`).
 */
export class CodecInstance<M> {
  private module: Promise<M> | null = null;

  /** `what` names the codec in the error ("the CharLS decoder"). */
  constructor(
    private readonly what: string,
    private readonly instantiate: () => Promise<M>,
  ) {}

  get(forPath: string): Promise<M> {
    if (!this.module) {
      this.module = this.instantiate().catch((cause: unknown) => {
        this.module = null;
        const why = cause instanceof Error ? cause.message : String(cause);
        throw new ImagingError("CODEC_UNAVAILABLE", forPath, `${this.what} could not be loaded: ${why}`, { cause });
      });
    }
    return this.module;
  }

  /** Drops the instance (a failure inside WebAssembly may leave its heap inconsistent): the next get() makes a new one. */
  forget(): void {
    this.module = null;
  }
}

/** Instantiates an Emscripten codec build with its print silenced: it logs every header it reads (failures throw). */
export function quietly<M>(factory: EmscriptenFactory<M>): Promise<M> {
  return factory({ print: () => {}, printErr: () => {} });
}

/** @cornerstonejs/codec-openjpeg's WebAssembly decoder (OpenJPEG 2.x; the one that decodes reduced resolutions). */
export function loadOpenJpegFactory<M>(): EmscriptenFactory<M> {
  return requireCommonJs("@cornerstonejs/codec-openjpeg/decodewasmjs") as EmscriptenFactory<M>;
}

/** @cornerstonejs/codec-charls's WebAssembly decoder (CharLS 2.x JPEG-LS). */
export function loadCharlsFactory<M>(): EmscriptenFactory<M> {
  return requireCommonJs("@cornerstonejs/codec-charls/decodewasmjs") as EmscriptenFactory<M>;
}
