import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { CommandRegistryProvider } from "./commands/CommandRegistry";
import { AccountGate } from "./features/accounts/AccountGate";
import { ClientProvider } from "./ipc/ClientContext";
import { connect } from "./ipc/transport";
import "./styles.css";

/**
 * Fetches and compiles the viewer's chunk without running it (`<link rel="modulepreload">`; the build names the chunk
 * in `<meta name="rd-viewer-chunk">`, electron.vite.config.ts) while the page waits for its first API answers; App.tsx
 * runs it after the worklist's first paint.
 */
function preloadViewerChunk(): void {
  const href = document.querySelector<HTMLMetaElement>('meta[name="rd-viewer-chunk"]')?.content;
  if (!href) return;
  const link = document.createElement("link");
  link.rel = "modulepreload";
  link.crossOrigin = "";
  link.href = href;
  document.head.append(link);
}

const root = createRoot(document.getElementById("root") as HTMLElement);
try {
  const { client, transport } = connect();
  document.documentElement.dataset.transport = transport;
  root.render(
    <StrictMode>
      <ClientProvider client={client}>
        <CommandRegistryProvider>
          <AccountGate>
            <App />
          </AccountGate>
        </CommandRegistryProvider>
      </ClientProvider>
    </StrictMode>,
  );
  preloadViewerChunk();
} catch (err) {
  root.render(
    <div className="fatal" role="alert">
      <h1>Radiology Draft cannot start</h1>
      <p>{err instanceof Error ? err.message : String(err)}</p>
    </div>,
  );
}
