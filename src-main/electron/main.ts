/**
 * The Electron shell: one window, the menu, the preload wiring and the IPC transport. Everything else lives in
 * services that run unchanged under the loopback harness and the CLIs. Its security rules (docs/security.md):
 * links open in the system browser only when on the allow-list (external-links.ts); IPC messages are answered
 * only when they come from the app's own page (ipc-sender.ts).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  type MenuItemConstructorOptions,
  protocol,
  session,
  shell,
} from "electron";
import { createIPCHandler, ELECTRON_TRPC_CHANNEL } from "electron-trpc/main";
import { IMAGE_SCHEME, THUMBNAIL_FILE_PREFIX } from "../../src-shared/import-types";
import { setDataDirLockKind } from "../db/data-dir-lock";
import { appRouter } from "../ipc/router";
import { signedInRefusal } from "../ipc/sign-in-gate";
import { DATA_DIR_ENV } from "../paths";
import { contentSecurityPolicy } from "../security/csp";
import { redactPaths } from "../security/redact";
import { createServices, type Services } from "../services";
import { ImageFileError, readImageOptionsFor } from "../services/files/files-service";
import { checkExternalUrl, type ExternalLinkPolicy, loadExternalLinkPolicy, NO_EXTERNAL_LINKS } from "./external-links";
import { type AppPage, guardIpcChannel, senderOf, senderProblem } from "./ipc-sender";
import { safeStorageSecretStore } from "./safe-storage";

const here = path.dirname(fileURLToPath(import.meta.url));

// The viewer fetches imported image files on rd-image://image/<imageId> (never by path); registered before ready.
protocol.registerSchemesAsPrivileged([
  {
    scheme: IMAGE_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true },
  },
]);
let services: Services | null = null;
let mainWindow: BrowserWindow | null = null;
let externalLinks: ExternalLinkPolicy = NO_EXTERNAL_LINKS;

const rendererIndex = path.join(here, "../renderer/index.html");
/** The app's own page: the built renderer over file://, or the dev server in development. */
const appPage: AppPage = process.env.ELECTRON_RENDERER_URL
  ? { kind: "dev-server", origin: process.env.ELECTRON_RENDERER_URL }
  : { kind: "file", indexFile: rendererIndex };

function dataDirFromArgs(): string {
  const flag = process.argv.find((a) => a.startsWith("--data-dir="));
  if (flag) return path.resolve(flag.slice("--data-dir=".length));
  return process.env[DATA_DIR_ENV] ? path.resolve(process.env[DATA_DIR_ENV]) : app.getPath("userData");
}

function buildMenu(): void {
  const isMac = process.platform === "darwin";
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: "appMenu" as const }] : []),
    { role: "fileMenu" },
    { role: "editMenu" },
    {
      label: "View",
      submenu: [
        { role: "reload" },
        { role: "toggleDevTools" },
        { type: "separator" },
        { role: "resetZoom" },
        { role: "zoomIn" },
        { role: "zoomOut" },
        { type: "separator" },
        { role: "togglefullscreen" },
      ],
    },
    { role: "windowMenu" },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function hardenSessions(): void {
  const csp = contentSecurityPolicy();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, "Content-Security-Policy": [csp] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  // No remote content: only the app's own files (and the dev server in development) may load.
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const url = details.url;
    const devServer = process.env.ELECTRON_RENDERER_URL;
    const allowed =
      url.startsWith("file://") ||
      url.startsWith("devtools://") ||
      url.startsWith("data:") ||
      url.startsWith("blob:") ||
      url.startsWith(`${IMAGE_SCHEME}://`) ||
      (devServer !== undefined && (url.startsWith(devServer) || url.startsWith(devServer.replace(/^http/, "ws"))));
    callback({ cancel: !allowed });
  });
}

/**
 * rd-image://image/<imageId>: the bytes of an image recorded in the case database, checked against its SHA-256
 * (`?for=viewer`: a compressed file's decoded copy where one is ready; `?for=viewer-preview`: its reduced-resolution
 * copy; FilesService);
 * rd-image://thumbnail/<studyId>: a similar case's thumbnail from the retrieval index.
 * Refused (401) while nobody is signed in.
 */
function serveImageFiles(activeServices: Services): void {
  protocol.handle(IMAGE_SCHEME, async (request) => {
    const url = new URL(request.url);
    const cors = { "access-control-allow-origin": "*" };
    if ((url.host !== "image" && url.host !== "thumbnail") || request.method !== "GET") {
      return new Response(JSON.stringify({ error: { message: "not found" } }), { status: 404, headers: cors });
    }
    // No account, no image (ipc/sign-in-gate.ts): the same rule as the API's and the harness's /files/.
    const refusal = signedInRefusal(activeServices.accounts, "the file channel");
    if (refusal) {
      return new Response(JSON.stringify({ error: { message: refusal, code: "UNAUTHORIZED" } }), {
        status: 401,
        headers: { ...cors, "content-type": "application/json" },
      });
    }
    try {
      const id = decodeURIComponent(url.pathname.replace(/^\/+/, ""));
      const file = await activeServices.files.readFile(
        url.host === "thumbnail" ? `${THUMBNAIL_FILE_PREFIX}${id}` : id,
        readImageOptionsFor(url.searchParams.get("for")),
      );
      return new Response(new Uint8Array(file.bytes), {
        headers: {
          ...cors,
          "content-type": file.contentType,
          "cache-control": "no-store",
          "x-content-type-options": "nosniff",
        },
      });
    } catch (err) {
      if (!(err instanceof ImageFileError)) console.error(`[server error] ${request.url}: ${(err as Error).stack}`);
      return new Response(JSON.stringify({ error: { message: redactPaths((err as Error).message) } }), {
        status: err instanceof ImageFileError ? err.status : 500,
        headers: { ...cors, "content-type": "application/json" },
      });
    }
  });
}

/** The import's file and folder picker: the system dialog. */
function installPathPicker(activeServices: Services): void {
  activeServices.importer.setPathPicker(async (kind) => {
    const options: Electron.OpenDialogOptions = {
      title: kind === "folder" ? "Import a folder of studies" : "Import image files",
      properties: kind === "folder" ? ["openDirectory", "multiSelections"] : ["openFile", "multiSelections"],
      ...(kind === "files"
        ? { filters: [{ name: "DICOM, PNG, JPEG", extensions: ["dcm", "dicom", "png", "jpg", "jpeg", "*"] }] }
        : {}),
    };
    const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
    return result.canceled ? [] : result.filePaths;
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1600,
    height: 1000,
    minWidth: 1100,
    minHeight: 700,
    show: false,
    backgroundColor: "#0b0d10",
    title: "Radiology Draft",
    webPreferences: {
      preload: path.join(here, "../preload/index.cjs"),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: true,
      // Middle-click would open links in new windows (Electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: "Auxclick",
    },
  });
  win.once("ready-to-show", () => win.show());
  win.webContents.setWindowOpenHandler(({ url }) => {
    // New windows are never opened inside the app; links on the allow-list go to the system browser.
    const verdict = checkExternalUrl(url, externalLinks);
    if (verdict.allowed) void shell.openExternal(url);
    else console.error(`refused to open a link: ${verdict.reason}`);
    return { action: "deny" };
  });
  const stayOnPage = (event: Electron.Event, url: string) => {
    if (url !== win.webContents.getURL()) event.preventDefault();
  };
  win.webContents.on("will-navigate", stayOnPage);
  win.webContents.on("will-redirect", stayOnPage);
  win.webContents.on("will-attach-webview", (event) => event.preventDefault());
  if (appPage.kind === "dev-server") void win.loadURL(appPage.origin);
  else void win.loadFile(appPage.indexFile);
  return win;
}

/** Answers IPC only from the app's own page in one of its windows (electron-trpc answers any sender). */
function guardIpc(): void {
  const wrapped = guardIpcChannel(
    ipcMain,
    ELECTRON_TRPC_CHANNEL,
    (event) =>
      senderProblem(senderOf(event), appPage, new Set(BrowserWindow.getAllWindows().map((w) => w.webContents.id))),
    (problem) => console.error(`refused an IPC message: ${problem}`),
  );
  if (wrapped === 0) throw new Error(`electron-trpc registered no listener on "${ELECTRON_TRPC_CHANNEL}"`);
}

function failToStart(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`Radiology Draft cannot start: ${message}`);
  dialog.showErrorBox("Radiology Draft cannot start", message);
  app.exit(1);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on("second-instance", () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.enableSandbox();
  setDataDirLockKind("electron");
  app.whenReady().then(() => {
    const dataDir = dataDirFromArgs();
    try {
      // PACS passwords and tokens: encrypted by the OS keychain where safeStorage has one (docs/pacs.md).
      const secretStore = safeStorageSecretStore(dataDir);
      // Refused when another process (a harness, a CLI, another Electron) holds the data folder.
      services = createServices({
        dataDir,
        ...(secretStore ? { secretStore } : {}),
        transport: "electron",
        electronVersion: process.versions.electron ?? null,
        appRoot: app.isPackaged ? process.resourcesPath : undefined,
      });
    } catch (err) {
      return failToStart(err);
    }
    const links = loadExternalLinkPolicy(dataDir);
    externalLinks = links.policy;
    if (links.problem) console.error(links.problem);
    hardenSessions();
    serveImageFiles(services);
    installPathPicker(services);
    // Demo studies on first start, in the background: the worklist updates on the studies-changed event.
    void services.importer.seedDemoStudies().catch((err: unknown) => {
      console.error(`demo studies: ${err instanceof Error ? err.message : String(err)}`);
    });
    buildMenu();
    mainWindow = createWindow();
    const activeServices = services;
    const ipc = createIPCHandler({
      router: appRouter,
      windows: [mainWindow],
      createContext: async () => ({ services: activeServices }),
    });
    guardIpc();
    app.on("activate", () => {
      if (BrowserWindow.getAllWindows().length === 0) {
        mainWindow = createWindow();
        ipc.attachWindow(mainWindow);
      }
    });
  });
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  app.on("will-quit", () => services?.close());
}
