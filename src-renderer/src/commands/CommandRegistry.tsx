import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef } from "react";
import { useClient } from "../ipc/ClientContext";
import { chordOf, findCommand } from "./commands";
import { effectiveCommands, setOverrides } from "./key-bindings";

type Handler = () => void;

interface Registry {
  register(id: string, handler: Handler): () => void;
  run(id: string): boolean;
}

const RegistryContext = createContext<Registry | null>(null);

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT";
}

/** Holds the handlers components register and dispatches key presses to them. */
export function CommandRegistryProvider({ children }: { children: ReactNode }) {
  const handlers = useRef(new Map<string, Handler[]>());
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
        const list = handlers.current.get(id);
        const last = list?.[list.length - 1];
        if (!last) return false;
        last();
        return true;
      },
    }),
    [],
  );
  const client = useClient();
  useEffect(() => {
    // The user's key bindings (stored by main); the defaults hold until they arrive or if they cannot be read.
    client.keyBindings.get().then(setOverrides, (err: unknown) => console.warn("key bindings not loaded:", err));
  }, [client]);
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

/** Binds a handler to a command id while the component is mounted (the newest binding wins). */
export function useCommand(id: string, handler: Handler): void {
  const registry = useContext(RegistryContext);
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => registry?.register(id, () => latest.current()), [registry, id]);
}
