import { createContext, type ReactNode, useContext } from "react";
import type { ContractClient } from "../../../src-shared/contract-client";

const ClientContext = createContext<ContractClient | null>(null);

export function ClientProvider({ client, children }: { client: ContractClient; children: ReactNode }) {
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

/** The typed IPC client (whichever transport is underneath). */
export function useClient(): ContractClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClient outside <ClientProvider>");
  return client;
}
