/**
 * The IPC sender check, as the shell wires it: electron-trpc 0.7's real createIPCHandler registers its listener on
 * an ipcMain stand-in, guardIpcChannel wraps it, and messages from the app's page, another page, a subframe, a
 * vanished frame and a foreign window are sent through it to the app's real router. The Electron binary cannot run
 * here: the library's own dist/main.mjs is loaded unchanged except for its one `import ... from "electron"` line,
 * which takes a Node EventEmitter as ipcMain instead.
 */
import { EventEmitter } from "node:events";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type * as ElectronTrpcMain from "electron-trpc/main";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppPage, guardIpcChannel, senderOf, senderProblem } from "../../../src-main/electron/ipc-sender";
import { appRouter } from "../../../src-main/ipc/router";
import { createServices } from "../../../src-main/services";

const services = createServices({
  dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "rd-ipc-sender-")),
  transport: "electron",
  modelPackDir: null,
});
afterAll(() => services.close());

const indexFile = path.resolve("/opt/Radiology Draft/resources/app/out/renderer/index.html");
const page: AppPage = { kind: "file", indexFile };
const appUrl = `${pathToFileURL(indexFile).href}#/worklist`;
const APP_WINDOW = 7;

describe("senderProblem", () => {
  const ids = new Set([APP_WINDOW]);
  const from = (frameUrl: string | null, isMainFrame = true, webContentsId = APP_WINDOW) =>
    senderProblem({ frameUrl, isMainFrame, webContentsId }, page, ids);

  it("accepts the app's page in the app's window", () => {
    expect(from(appUrl)).toBeNull();
    expect(from(pathToFileURL(indexFile).href)).toBeNull();
  });

  it("refuses other pages, files, subframes, vanished frames and other windows", () => {
    expect(from("https://evil.example/")).toMatch(/not the app's page/);
    expect(from(pathToFileURL(path.join(path.dirname(indexFile), "other.html")).href)).toMatch(/not the app's page/);
    expect(from(pathToFileURL("/tmp/index.html").href)).toMatch(/not the app's page/);
    expect(from("file://fileserver/share/out/renderer/index.html")).toMatch(/not the app's page/);
    expect(from("data:text/html,<script>1</script>")).toMatch(/not the app's page/);
    expect(from("devtools://devtools/bundled/inspector.html")).toMatch(/not the app's page/);
    expect(from(appUrl, false)).toMatch(/subframes/);
    expect(from(null)).toMatch(/frame is gone/);
    expect(from(appUrl, true, 99)).toMatch(/not an app window/);
    expect(from("not a url")).toMatch(/no valid URL/);
  });

  it("in development accepts the dev server's origin only", () => {
    const dev: AppPage = { kind: "dev-server", origin: "http://localhost:5173" };
    const check = (url: string) =>
      senderProblem({ frameUrl: url, isMainFrame: true, webContentsId: 1 }, dev, new Set([1]));
    expect(check("http://localhost:5173/#/x")).toBeNull();
    expect(check("http://localhost:5174/")).toMatch(/not the app's/);
    expect(check("http://127.0.0.1:5173/")).toMatch(/not the app's/);
  });

  it("reads a disposed frame as gone", () => {
    const event = {
      sender: { id: 3 },
      get senderFrame(): never {
        throw new Error("Render frame was disposed before WebFrameMain could be accessed");
      },
    };
    expect(senderOf(event)).toEqual({ frameUrl: null, isMainFrame: false, webContentsId: 3 });
  });
});

const fakeIpcMain = new EventEmitter();

/** electron-trpc/main as shipped, with ipcMain = fakeIpcMain. */
async function loadElectronTrpcMain(): Promise<typeof ElectronTrpcMain> {
  const require = createRequire(import.meta.url);
  const source = fs.readFileSync(require.resolve("electron-trpc/main").replace(/\.cjs$/, ".mjs"), "utf8");
  const electronImport =
    /^import \{ ipcMain as (\w+), contextBridge as (\w+), ipcRenderer as (\w+) \} from "electron";$/m;
  expect(source).toMatch(electronImport); // the library still imports exactly this
  const patched = source.replace(
    electronImport,
    "const { ipcMain: $1, contextBridge: $2, ipcRenderer: $3 } = globalThis.__rdFakeElectron;",
  );
  (globalThis as Record<string, unknown>).__rdFakeElectron = {
    ipcMain: fakeIpcMain,
    contextBridge: {},
    ipcRenderer: {},
  };
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rd-electron-trpc-")), "main.mjs");
  fs.writeFileSync(file, patched);
  return (await import(pathToFileURL(file).href)) as typeof ElectronTrpcMain;
}

describe("electron-trpc behind the guard", () => {
  const refused: string[] = [];
  let wrapped = 0;
  let channel = "";
  beforeAll(async () => {
    const { createIPCHandler, ELECTRON_TRPC_CHANNEL } = await loadElectronTrpcMain();
    channel = ELECTRON_TRPC_CHANNEL;
    createIPCHandler({ router: appRouter, createContext: async () => ({ services }) });
    wrapped = guardIpcChannel(
      fakeIpcMain,
      ELECTRON_TRPC_CHANNEL,
      (event) => senderProblem(senderOf(event), page, new Set([APP_WINDOW])),
      (problem) => refused.push(problem),
    );
  });

  /** Sends app.info as a frame would and collects what main replies within 500 ms. */
  async function ask(frame: { url: string; parent: unknown } | null, webContentsId = APP_WINDOW): Promise<unknown[]> {
    const replies: unknown[] = [];
    const event = {
      sender: { id: webContentsId, isDestroyed: () => false },
      senderFrame: frame ? { ...frame, routingId: 1 } : null,
      reply: (_channel: string, message: unknown) => replies.push(message),
    };
    fakeIpcMain.emit(channel, event, {
      method: "request",
      operation: { id: 1, type: "query", path: "app.info", input: undefined, context: {} },
    });
    await new Promise((r) => setTimeout(r, 500));
    return replies;
  }

  it("wraps the library's one listener", () => {
    expect(wrapped).toBe(1);
    expect(channel).toBe("electron-trpc");
    expect(fakeIpcMain.listenerCount(channel)).toBe(1);
  });

  it("answers the app's page", async () => {
    const replies = await ask({ url: appUrl, parent: null });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ id: 1, result: { type: "data", data: { transport: "electron" } } });
  });

  it("drops messages from any other sender, unanswered, and logs why", async () => {
    refused.length = 0;
    expect(await ask({ url: "https://evil.example/", parent: null })).toEqual([]);
    expect(await ask({ url: appUrl, parent: { url: appUrl } })).toEqual([]);
    expect(await ask(null)).toEqual([]);
    expect(await ask({ url: appUrl, parent: null }, 42)).toEqual([]);
    expect(refused).toEqual([
      "frame URL https://evil.example is not the app's page",
      "messages from subframes are not accepted",
      "the sending frame is gone",
      "web contents 42 is not an app window",
    ]);
  });
});
