import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { CommandRegistryProvider } from "./commands/CommandRegistry";
import { AccountGate } from "./features/accounts/AccountGate";
import { ClientProvider } from "./ipc/ClientContext";
import { connect } from "./ipc/transport";
import "./styles.css";

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
} catch (err) {
  root.render(
    <div className="fatal" role="alert">
      <h1>Radiology Draft cannot start</h1>
      <p>{err instanceof Error ? err.message : String(err)}</p>
    </div>,
  );
}
