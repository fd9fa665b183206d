/**
 * Preload: the narrow bridge between the sandboxed renderer and main. It exposes only the electron-trpc message
 * port (window.electronTRPC: sendMessage / onMessage on one channel); every call is validated by the router in main.
 */
import { exposeElectronTRPC } from "electron-trpc/main";

process.once("loaded", () => {
  exposeElectronTRPC();
});
