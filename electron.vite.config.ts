import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "electron-vite";
import type { Plugin } from "vite";

/**
 * Names the viewer's lazily imported chunk in `<meta name="rd-viewer-chunk">`. main.tsx preloads it (modulepreload:
 * fetched and compiled, not run) once the start-up chunk runs, so its compile overlaps the first API round trips, and
 * App.tsx imports (runs) it after the worklist's first paint: a click right after the rows show then does not wait for
 * the 2 MB chunk's fetch and compile (issue 19.3) and the rows do not wait for it either (19.4). Absent in the dev
 * server, which has no bundle.
 */
function preloadViewerChunk(): Plugin {
  return {
    name: "radiology-draft:preload-viewer-chunk",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const chunk = Object.values(ctx.bundle ?? {}).find(
          (c) =>
            c.type === "chunk" && c.isDynamicEntry && c.facadeModuleId?.endsWith("/features/viewer/ViewerArea.tsx"),
        );
        if (!chunk) throw new Error("preload-viewer-chunk: the ViewerArea chunk is missing from the bundle");
        return [{ tag: "meta", attrs: { name: "rd-viewer-chunk", content: `./${chunk.fileName}` }, injectTo: "head" }];
      },
    },
  };
}

/**
 * Three builds: main (ESM, Node), preload (CommonJS: sandboxed preloads cannot be ES modules) and the renderer
 * (React). Native and WASM-heavy Node packages stay external to main and load from node_modules.
 */
export default defineConfig({
  main: {
    build: {
      outDir: "out/main",
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, "src-main/electron/main.ts"),
          // The loopback harness (npm run serve), built like the Electron main process: out/main/harness.js.
          harness: resolve(__dirname, "src-main/harness/cli.ts"),
          // Worker-thread entry of the inference engine, emitted as out/main/inference-worker.js (docs/inference.md).
          "inference-worker": resolve(__dirname, "src-main/services/inference/inference-worker.ts"),
          // Worker-thread entry of the imaging decode pool (the import inspects files in it): out/main/decode-worker.js.
          "decode-worker": resolve(__dirname, "src-main/services/imaging/decode-worker.ts"),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: "out/preload",
      externalizeDeps: { exclude: ["electron-trpc"] },
      rollupOptions: {
        input: { index: resolve(__dirname, "src-preload/index.ts") },
        output: { format: "cjs", entryFileNames: "[name].cjs" },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, "src-renderer"),
    plugins: [react(), preloadViewerChunk()],
    // The viewer's DICOM codecs (dcmjs-codecs) import their .wasm with ?inline: a file:// page cannot fetch it.
    assetsInclude: ["**/*.wasm"],
    build: {
      outDir: "out/renderer",
      // electron-vite leaves the renderer unminified; minified, Chromium parses the start-up chunk sooner (issue 19.4).
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, "src-renderer/index.html") } },
    },
  },
});
