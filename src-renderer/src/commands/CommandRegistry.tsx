import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef } from "react";
import { useClient } from "../ipc/ClientContext";
import { type CommandId, chordOf, findCommand } from "./commands";
import { effectiveCommands, setOverrides } from "./key-bindings";

type Handler = () => void;

interface Registry {
  register(id: CommandId, handler: Handler): () => void;
  run(id: CommandId): boolean;
  /** No command runs (by key or button) until the returned function is called: the lock and sign-in screens. */
  suspend(): () => void;
}

const RegistryContext = createContext<Registry | null>(null);

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT";
}

/** Holds the handlers components register and dispatches key presses to them. */
export function CommandRegistryProvider({ children }: { children: ReactNode }) {
  const handlers = useRef(new Map<CommandId, Handler[]>());
  const suspended = useRef(0);
  const registry = useMemo<Registry>(
    () => ({
      register(id, handler) {
        const list = handlers.current.get(id) ?? [];
        list.push(handler);
        handlers.current.set(id, list);
        return () => {
          const now = handlers.current.get(id) ?? [];
          handlers.current.set(
            id,
            now.filter((h) => h !== handler),
          );
        };
      },
      run(id) {
        if (suspended.current > 0) return false;
        const list = handlers.current.get(id);
        const last = list?.[list.length - 1];
        if (!last) return false;
        last();
        return true;
      },
      suspend() {
        suspended.current++;
        let done = false;
        return () => {
          if (!done) suspended.current--;
          done = true;
        };
      },
    }),
    [],
  );
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const command = findCommand(chordOf(e), effectiveCommands());
      if (!command) return;
      if (isTyping(e.target) && !command.whileTyping) return;
      if (registry.run(command.id)) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [registry]);
  return <RegistryContext.Provider value={registry}>{children}</RegistryContext.Provider>;
}

/**
 * Loads the user's key bindings (stored by main) once an account is signed in, and again when another one signs in:
 * main answers nobody before sign-in (src-main/ipc/sign-in-gate.ts). The defaults hold until they arrive or if they
 * cannot be read. Called by the AccountGate with the signed-in account's id (null: nobody).
 */
export function useStoredKeyBindings(signedInAccountId: number | null): void {
  const client = useClient();
  useEffect(() => {
    if (signedInAccountId === null) return;
    client.keyBindings.get().then(setOverrides, (err: unknown) => console.warn("key bindings not loaded:", err));
  }, [client, signedInAccountId]);
}

/**
 * Binds handlers to command ids while the component is mounted (the newest binding of an id wins): one call per
 * component, one entry per command. The handlers may change every render; the registration follows the ids.
 */
export function useCommands(handlers: Partial<Record<CommandId, Handler>>): void {
  const registry = useContext(RegistryContext);
  const latest = useRef(handlers);
  latest.current = handlers;
  const ids = (Object.keys(handlers) as CommandId[]).sort().join(" ");
  useEffect(() => {
    if (!registry || !ids) return;
    const offs = (ids.split(" ") as CommandId[]).map((id) => registry.register(id, () => latest.current[id]?.()));
    return () => {
      for (const off of offs) off();
    };
  }, [registry, ids]);
}

/** While `active`, no command runs (the workstation under the lock screen keeps its state but takes no keys). */
export function useSuspendCommands(active: boolean): void {
  const registry = useContext(RegistryContext);
  useEffect(() => (active && registry ? registry.suspend() : undefined), [registry, active]);
}

/** Runs a command as its key would (buttons and menus use this): false when nothing handles it now. */
export function useRunCommand(): (id: CommandId) => boolean {
  const registry = useContext(RegistryContext);
  return useCallback((id: CommandId) => registry?.run(id) ?? false, [registry]);
}
