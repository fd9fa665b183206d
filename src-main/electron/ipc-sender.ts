/**
 * Only the app's own page may talk to main. electron-trpc 0.7's createIPCHandler listens with
 * `ipcMain.on("electron-trpc", ...)` and answers whichever frame sent the message; guardIpcChannel() replaces that
 * listener with one that first checks the sender: one of the app's windows, its main frame (not a subframe), and
 * a frame URL that is the app's page — the built renderer's index.html over file://, or the dev server's origin
 * in development. Anything else is dropped and logged. Plain functions, no Electron (unit-tested as such).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Where the app's page comes from. */
export type AppPage = { kind: "file"; indexFile: string } | { kind: "dev-server"; origin: string };

/** What the check needs to know about an IPC message's sender (read from an IpcMainEvent by senderOf()). */
export interface SenderInfo {
  /** The sending frame's URL; null when the frame is gone (navigated away or destroyed). */
  frameUrl: string | null;
  /** Whether the sending frame is its page's top frame. */
  isMainFrame: boolean;
  /** The sending WebContents' id. */
  webContentsId: number;
}

/** Why a sender is refused, or null when it is the app's own page. */
export function senderProblem(
  sender: SenderInfo,
  page: AppPage,
  appWebContentsIds: ReadonlySet<number>,
): string | null {
  if (!appWebContentsIds.has(sender.webContentsId)) return `web contents ${sender.webContentsId} is not an app window`;
  if (sender.frameUrl === null) return "the sending frame is gone";
  if (!sender.isMainFrame) return "messages from subframes are not accepted";
  let url: URL;
  try {
    url = new URL(sender.frameUrl);
  } catch {
    return "the sending frame has no valid URL";
  }
  if (page.kind === "dev-server") {
    return url.origin === new URL(page.origin).origin ? null : `frame origin ${url.origin} is not the app's`;
  }
  if (url.protocol !== "file:" || (url.host !== "" && url.host !== "localhost"))
    return `frame URL ${url.protocol}//${url.host} is not the app's page`;
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    return "the sending frame's file URL is not a local file";
  }
  return path.resolve(file) === path.resolve(page.indexFile) ? null : "the sending frame is not the app's page";
}

/** The sender fields of an Electron IpcMainEvent (kept structural so that this module needs no Electron). */
export interface IpcEventLike {
  sender: { id: number };
  senderFrame?: { url: string; parent: unknown } | null;
}

export function senderOf(event: IpcEventLike): SenderInfo {
  let frame: IpcEventLike["senderFrame"] = null;
  try {
    frame = event.senderFrame ?? null; // throws in Electron when the frame was disposed
  } catch {
    frame = null;
  }
  return {
    frameUrl: frame ? frame.url : null,
    isMainFrame: frame ? frame.parent === null : false,
    webContentsId: event.sender.id,
  };
}

type Listener = (event: IpcEventLike, ...args: unknown[]) => void;

/** ipcMain, as far as the guard uses it (a Node EventEmitter in the tests). */
export type ChannelEmitter = Pick<NodeJS.EventEmitter, "listeners" | "removeListener" | "on">;

/**
 * Wraps every listener already registered on `channel` with the sender check. Returns how many were wrapped (the
 * shell refuses to run when that is 0: the library's registration changed and the check would be missing).
 */
export function guardIpcChannel(
  emitter: ChannelEmitter,
  channel: string,
  problemOf: (event: IpcEventLike) => string | null,
  onRefused: (problem: string) => void,
): number {
  const existing = emitter.listeners(channel) as Listener[];
  for (const listener of existing) {
    emitter.removeListener(channel, listener as (...args: unknown[]) => void);
    const guarded: Listener = (event, ...args) => {
      const problem = problemOf(event);
      if (problem) return onRefused(problem);
      listener(event, ...args);
    };
    emitter.on(channel, guarded as (...args: unknown[]) => void);
  }
  return existing.length;
}
