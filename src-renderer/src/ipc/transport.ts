/**
 * Finds which transport this renderer has and returns the typed client over it:
 * - Electron: the preload bridge (window.electronTRPC) with electron-trpc's ipcLink;
 * - loopback harness: HTTP for queries/mutations and a WebSocket for subscriptions, each carrying the per-run token
 *   that the harness put in the URL fragment (#token=...).
 * Nothing else in the renderer knows which one it got.
 * Image files come over the same transport's file channel: imageUrl(imageId) + imageRequestHeaders() (the harness's
 * GET /files/<id> with the token, or the Electron shell's rd-image://image/<id>).
 */
import { createTRPCUntypedClient, createWSClient, httpBatchLink, splitLink, wsLink } from "@trpc/client";
import { ipcLink } from "electron-trpc/renderer";
import {
  type ContractClient,
  createContractClient,
  type ProcedureTransport,
} from "../../../src-shared/contract-client";
import { HARNESS_FILES_PATH, IMAGE_SCHEME } from "../../../src-shared/import-types";

export type TransportKind = "electron" | "loopback";

const TOKEN_KEY = "radiology-draft.harness-token";

function harnessToken(): string {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    // Keep the secret out of the address bar, history and screenshots.
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    return fromHash;
  }
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) return stored;
  throw new Error("no harness token: open the URL that `npm run serve` printed (it ends with #token=...)");
}

function untypedTransport(kind: TransportKind): ProcedureTransport {
  // biome-ignore lint/suspicious/noExplicitAny: the untyped client is typed by the contract client above it.
  let client: any;
  if (kind === "electron") {
    client = createTRPCUntypedClient({ links: [ipcLink()] });
  } else {
    const token = harnessToken();
    const wsUrl = `${window.location.origin.replace(/^http/, "ws")}/trpc-ws?token=${encodeURIComponent(token)}`;
    const wsClient = createWSClient({ url: wsUrl, retryDelayMs: (attempt) => Math.min(500 * 2 ** attempt, 5000) });
    client = createTRPCUntypedClient({
      links: [
        splitLink({
          condition: (op) => op.type === "subscription",
          true: wsLink({ client: wsClient }),
          false: httpBatchLink({
            url: `${window.location.origin}/trpc`,
            headers: () => ({ authorization: `Bearer ${token}` }),
          }),
        }),
      ],
    });
  }
  return {
    query: (path, input) => client.query(path, input),
    mutation: (path, input) => client.mutation(path, input),
    subscription: (path, input, handlers) => client.subscription(path, input, handlers),
  };
}

/** URL of an imported image's file bytes (only image ids from the case database are served). */
export function imageUrl(imageId: string): string {
  const id = encodeURIComponent(imageId);
  return detectTransport() === "electron"
    ? `${IMAGE_SCHEME}://image/${id}`
    : `${window.location.origin}${HARNESS_FILES_PATH}${id}`;
}

/**
 * URL of a file-channel path the contract carries (e.g. a similar case's `thumbnailUrl`, `thumbnail/<studyId>`):
 * rd-image://thumbnail/<studyId> in Electron, /files/thumbnail/<studyId> in the harness. Fetch it with
 * imageRequestHeaders().
 */
export function fileChannelUrl(channelPath: string): string {
  return detectTransport() === "electron"
    ? `${IMAGE_SCHEME}://${channelPath}`
    : `${window.location.origin}${HARNESS_FILES_PATH}${channelPath}`;
}

/** Headers an image-file request needs (the harness token; nothing in Electron). */
export function imageRequestHeaders(): Record<string, string> {
  return detectTransport() === "electron" ? {} : { authorization: `Bearer ${harnessToken()}` };
}

export function detectTransport(): TransportKind {
  return "electronTRPC" in window ? "electron" : "loopback";
}

export function connect(): { client: ContractClient; transport: TransportKind } {
  const transport = detectTransport();
  return { client: createContractClient(untypedTransport(transport)), transport };
}
