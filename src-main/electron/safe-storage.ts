/**
 * PACS secrets in the Electron shell: the same 0600 secrets file as the harness, each value encrypted with
 * Electron's safeStorage (the OS keychain: Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux).
 * Where safeStorage has no real backend (Linux "basic_text"), the file is still 0600 and the panel says so.
 */
import { safeStorage } from "electron";
import { FileSecretStore, type SecretCodec } from "../services/pacs/secret-store";

export function safeStorageSecretStore(dataDir: string): FileSecretStore | null {
  if (!safeStorage.isEncryptionAvailable()) return null;
  const backend = process.platform === "linux" ? safeStorage.getSelectedStorageBackend() : "os";
  const codec: SecretCodec = {
    name:
      backend === "basic_text"
        ? "Electron safeStorage without an OS keychain (obfuscated) in a file readable by this user only"
        : "encrypted with the OS keychain (Electron safeStorage)",
    encode: (plain) => `safe:${safeStorage.encryptString(plain).toString("base64")}`,
    decode: (stored) => {
      if (!stored.startsWith("safe:")) throw new Error("a stored secret was not written with safeStorage");
      return safeStorage.decryptString(Buffer.from(stored.slice(5), "base64"));
    },
  };
  return new FileSecretStore(dataDir, codec);
}
