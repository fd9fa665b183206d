/**
 * No account, no API (issue 18.1, docs/security.md "Accounts"): the audit log records the signed-in account for
 * every edit, so nothing but the sign-in, first-account and lock screens' own calls (OPEN_PROCEDURES) is answered
 * while nobody is signed in. A locked session still counts as signed in here: the lock screen keeps the
 * workstation's state, and an autosave that lands just after the lock (Ctrl+Shift+L) is still audited under the
 * account that typed it; signing itself demands an unlocked session and re-authentication (AccountsService).
 *
 * One rule for every way in: the tRPC middleware (trpc.ts) for the Electron IPC and the harness's HTTP/WebSocket,
 * and the image file channels (the harness's /files/…, the Electron shell's rd-image://) through signedInRefusal.
 * No heavy imports: the harness loads this before its router.
 */
import type { AccountsService } from "../services/accounts/accounts-service";

/**
 * The procedures answered with nobody signed in, each with why it is open. Everything else (studies, reports,
 * measurements, import, files, key bindings, events, …) is refused with UNAUTHORIZED.
 */
export const OPEN_PROCEDURES: Readonly<Record<string, string>> = {
  "accounts.session":
    "the renderer's AccountGate reads it first, to show the first-account, sign-in or lock screen; it is polled",
  "accounts.create":
    "the first-account screen (first run: the new account is signed in at once); the service refuses any later " +
    "account unless an unlocked account is signed in",
  "accounts.signIn": "the sign-in screen",
  "accounts.unlock": "the lock screen; the service checks the signed-in account's password or PIN",
  "accounts.signOut": "the lock screen's 'switch account'; it only ends a session (another window may have ended it)",
  "accounts.activity":
    "the idle clock's input report: it only keeps an unlocked session alive, never opens or unlocks one, and tells a " +
    "window that another window signed out",
  "accounts.lock": "the Lock command; it only closes a session, and may race a sign-out in another window",
  "app.info":
    "what the service is (name, version, transport, schema version; no case data): the frame's status bar, and the " +
    "transports' start-up and liveness checks, which run before anyone signs in",
  "app.ping": "a liveness check of the transport; it echoes its input and reads nothing",
};

/** Whether `procedurePath` (e.g. "accounts.signIn") is answered with nobody signed in. */
export function isOpenProcedure(procedurePath: string): boolean {
  return Object.hasOwn(OPEN_PROCEDURES, procedurePath);
}

/**
 * Why `what` (a procedure path, "the file channel") is refused now: nobody is signed in (locked counts as signed in);
 * null when it may go on. The one check the tRPC middleware and both file channels make.
 */
export function signedInRefusal(accounts: Pick<AccountsService, "isSignedIn">, what: string): string | null {
  return accounts.isSignedIn() ? null : `${what} needs a signed-in account`;
}
