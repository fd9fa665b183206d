/**
 * Who signs (issue 18.1, docs/security.md "Accounts"): nothing of the workstation shows until a radiologist is
 * signed in. First run: the first account is created here (name in DICOM PN parts, password, optional PIN). Then:
 * sign in with user name and password. Signed in: the workstation, which locks after the configured idle time (no
 * keyboard or pointer input) or on the Lock command; the lock screen takes the same account's password or PIN, or
 * signs out to switch account. Under the lock screen the workstation keeps its state (the open study, unsaved
 * text) but takes no input and runs no command. The session itself is held by main (accounts service), which every
 * window shares and which refuses signing while locked, and every call but the sign-in screens' own while nobody is
 * signed in (src-main/ipc/sign-in-gate.ts); this component reports activity to it and follows it.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from "react";
import {
  type Account,
  type AccountSession,
  CreateAccountInputSchema,
  credentialOf,
  type PersonNameParts,
} from "../../../../src-shared/account-types";
import { useFocusTrap } from "../../app/useFocusTrap";
import { useCommands, useStoredKeyBindings, useSuspendCommands } from "../../commands/CommandRegistry";
import { useShortcutKey } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { errorText } from "../pacs/panels";
import { flushAllReportSessions } from "../report/report-session";
import "./accounts.css";

/** Activity is reported to main at most this often while there is input (and once more after the last input). */
const ACTIVITY_REPORT_MS = 5000;
/** How often the session is read again (a lock or sign-out from another window). */
const SESSION_POLL_MS = 10_000;

interface AccountControls {
  session: AccountSession;
  account: Account;
  lock(): Promise<void>;
  signOut(): Promise<void>;
  setIdleLockSeconds(seconds: number): Promise<void>;
}

const AccountContext = createContext<AccountControls | null>(null);

/** The signed-in account and the session's controls (inside the gate only). */
export function useAccount(): AccountControls {
  const c = useContext(AccountContext);
  if (!c) throw new Error("useAccount outside the AccountGate");
  return c;
}

/** The signed-in account, or null outside the gate (a pane rendered on its own, in a test). */
export function useSignedInAccount(): Account | null {
  return useContext(AccountContext)?.account ?? null;
}

export function AccountGate({ children }: { children: ReactNode }) {
  const client = useClient();
  const [session, setSession] = useState<AccountSession | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(
    () =>
      client.accounts.session().then(
        (s) => {
          // The poll answers the same session most of the time: keep the old object so nothing re-renders.
          setSession((prev) => (prev && JSON.stringify(prev) === JSON.stringify(s) ? prev : s));
          setError(null);
        },
        (err: unknown) => setError(errorText(err)),
      ),
    [client],
  );
  useEffect(() => {
    void reload();
  }, [reload]);

  // Why this window locked (the lock screen says so); null: locked elsewhere (another window, main's idle clock).
  const [lockReason, setLockReason] = useState<"idle" | "command" | null>(null);
  const lockFor = useCallback(
    async (reason: "idle" | "command") => {
      // What was typed is saved first, under the account that typed it.
      await flushAllReportSessions().catch(() => undefined);
      setLockReason(reason);
      setSession(await client.accounts.lock());
    },
    [client],
  );
  const lock = useCallback(() => lockFor("command"), [lockFor]);
  const lockIdle = useCallback(() => lockFor("idle"), [lockFor]);
  const signOut = useCallback(async () => {
    await flushAllReportSessions().catch(() => undefined);
    setSession(await client.accounts.signOut());
  }, [client]);
  const setIdleLockSeconds = useCallback(
    async (seconds: number) => setSession(await client.accounts.setIdleLock({ seconds })),
    [client],
  );

  const signedIn = !!session?.account;
  const locked = !!session?.locked;
  useIdleLock(session, lockIdle, setSession);
  useEffect(() => {
    if (!locked) setLockReason(null);
  }, [locked]);
  // Polled while signed in: a lock or sign-out in another window shows here too.
  useEffect(() => {
    if (!signedIn) return;
    const timer = setInterval(() => void reload(), SESSION_POLL_MS);
    return () => clearInterval(timer);
  }, [signedIn, reload]);
  useSuspendCommands(!signedIn || locked);
  // Main answers the workstation's calls only once someone is signed in (key bindings included): loaded then.
  useStoredKeyBindings(session?.account?.id ?? null);
  useCommands({ "session.lock": () => void lock() });

  if (error && !session)
    return (
      <div className="account-screen" role="alert">
        <h1>Radiology Draft</h1>
        <p>Not connected to the workstation service: {error}</p>
      </div>
    );
  if (!session) return <div className="account-screen">Connecting…</div>;
  if (session.firstRun) return <FirstAccountScreen onSession={setSession} />;
  if (!session.account) return <SignInScreen onSession={setSession} />;
  const controls: AccountControls = { session, account: session.account, lock, signOut, setIdleLockSeconds };
  return (
    <AccountContext.Provider value={controls}>
      {/* The account (key): another radiologist starts a fresh workstation (their macros, no open study). */}
      <div className="account-frame" inert={locked} key={session.account.id}>
        {children}
      </div>
      {locked && <LockScreen session={session} reason={lockReason} onSession={setSession} onSignOut={signOut} />}
    </AccountContext.Provider>
  );
}

/**
 * Locks after `idleLockSeconds` without keyboard or pointer input, and tells main about input (throttled) so its
 * own idle clock, which refuses signing once locked, runs no earlier than this one.
 */
function useIdleLock(
  session: AccountSession | null,
  lock: () => Promise<void>,
  setSession: (s: AccountSession) => void,
): void {
  const client = useClient();
  const active = !!session?.account && !session.locked;
  const idleMs = (session?.idleLockSeconds ?? 0) * 1000;
  useEffect(() => {
    if (!active) return;
    let lastInput = Date.now();
    let lastReport = Date.now();
    let locking = false;
    const onInput = () => {
      lastInput = Date.now();
    };
    const events = ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"] as const;
    for (const e of events) window.addEventListener(e, onInput, { capture: true, passive: true });
    const timer = setInterval(() => {
      const now = Date.now();
      if (locking) return;
      if (now - lastInput >= idleMs) {
        locking = true;
        void lock().catch(() => {
          locking = false;
        });
        return;
      }
      if (lastInput > lastReport && now - lastReport >= ACTIVITY_REPORT_MS) {
        lastReport = now;
        client.accounts.activity().then(
          (s) => {
            if (s.locked || !s.account) setSession(s);
          },
          () => undefined,
        );
      }
    }, 1000);
    return () => {
      clearInterval(timer);
      for (const e of events) window.removeEventListener(e, onInput, { capture: true });
    };
  }, [active, idleMs, client, lock, setSession]);
}

/** What a field holds decides how it is typed: hidden or not, what the browser may fill in, the keyboard. */
const FIELD_KINDS = {
  text: { type: "text", autoComplete: "off" },
  username: { type: "text", autoComplete: "username" },
  "new-password": { type: "password", autoComplete: "new-password" },
  "current-password": { type: "password", autoComplete: "current-password" },
  pin: { type: "password", autoComplete: "off", inputMode: "numeric" },
} as const satisfies Record<string, { type: "text" | "password"; autoComplete: string; inputMode?: "numeric" }>;

function Field(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  kind?: keyof typeof FIELD_KINDS;
  required?: boolean;
  hint?: string;
  autoFocus?: boolean;
}) {
  const kind: { type: string; autoComplete: string; inputMode?: "numeric" } = FIELD_KINDS[props.kind ?? "text"];
  return (
    <label className="account-field">
      <span>
        {props.label}
        {props.required ? "" : " (optional)"}
      </span>
      <input
        type={kind.type}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        autoComplete={kind.autoComplete}
        required={props.required}
        inputMode={kind.inputMode}
        // biome-ignore lint/a11y/noAutofocus: the screen's first field; nothing else is on the screen.
        autoFocus={props.autoFocus}
      />
      {props.hint && <small>{props.hint}</small>}
    </label>
  );
}

interface AccountSubmit {
  error: string | null;
  busy: boolean;
  submit(): Promise<void>;
}

/**
 * One account screen's submit: `check` first (a message: refused before anything is sent), then `send`, busy
 * meanwhile; a failure's text becomes `error` and `onFail` runs (clears the secret typed).
 */
function useAccountSubmit(check: () => string | null, send: () => Promise<void>, onFail?: () => void): AccountSubmit {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const refused = check();
    if (refused) {
      setError(refused);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await send();
    } catch (err) {
      setError(errorText(err));
      onFail?.();
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, submit };
}

/**
 * The card every account screen is: title, fields, the failure ("<failure>: <why>"), the submit button (`ready`:
 * enabled when not busy) and, beside it, a `secondary` button.
 */
function AccountForm(props: {
  title: string;
  form: AccountSubmit;
  failure: string;
  submit: string;
  ready?: boolean;
  secondary?: ReactNode;
  children: ReactNode;
}) {
  const button = (
    <button type="submit" className="btn btn-primary" disabled={props.form.busy || props.ready === false}>
      {props.submit}
    </button>
  );
  return (
    <form
      className="account-card"
      onSubmit={(e) => {
        e.preventDefault();
        void props.form.submit();
      }}
    >
      <h1>{props.title}</h1>
      {props.children}
      {props.form.error && (
        <p className="account-error" role="alert">
          {props.failure}: {props.form.error}
        </p>
      )}
      {props.secondary ? (
        <div className="account-actions">
          {props.secondary}
          {button}
        </div>
      ) : (
        button
      )}
    </form>
  );
}

const EMPTY_NAME: PersonNameParts = { family: "", given: "", middle: "", prefix: "", suffix: "" };

/** First run: the first radiologist's account; it is signed in once created. */
function FirstAccountScreen({ onSession }: { onSession: (s: AccountSession) => void }) {
  const client = useClient();
  const [username, setUsername] = useState("");
  const [name, setName] = useState<PersonNameParts>(EMPTY_NAME);
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [pin, setPin] = useState("");
  const part = (k: keyof PersonNameParts) => (v: string) => setName((n) => ({ ...n, [k]: v }));
  const input = { username, name, password, ...(pin ? { pin } : {}) };
  const form = useAccountSubmit(
    () => {
      if (password !== repeat) return "the two passwords differ";
      // The contract's own schema, checked here first so the message names just the field to fix.
      const checked = CreateAccountInputSchema.safeParse(input);
      return checked.success ? null : (checked.error.issues[0]?.message ?? "invalid account");
    },
    async () => {
      await client.accounts.create(input);
      onSession(await client.accounts.session());
    },
  );
  return (
    <main className="account-screen" aria-label="Create the first account">
      <AccountForm title="Radiology Draft" form={form} failure="Not created" submit="Create account and sign in">
        <p>
          No account exists yet. Create the first radiologist's account: the name is printed on signed reports and
          written into the DICOM SR as its five PN components; signing asks for the password or PIN.
        </p>
        <Field label="User name" value={username} onChange={setUsername} required autoFocus kind="username" />
        <fieldset className="account-name">
          <legend>Name (DICOM PN)</legend>
          <Field label="Prefix" value={name.prefix} onChange={part("prefix")} hint="e.g. Dr." />
          <Field label="Given name" value={name.given} onChange={part("given")} />
          <Field label="Middle name" value={name.middle} onChange={part("middle")} />
          <Field label="Family name" value={name.family} onChange={part("family")} required />
          <Field label="Suffix" value={name.suffix} onChange={part("suffix")} hint="e.g. MD" />
        </fieldset>
        <Field
          label="Password"
          kind="new-password"
          value={password}
          onChange={setPassword}
          required
          hint="at least 10 characters"
        />
        <Field label="Repeat the password" kind="new-password" value={repeat} onChange={setRepeat} required />
        <Field
          label="PIN"
          kind="pin"
          value={pin}
          onChange={setPin}
          hint="4 to 8 digits: a quicker way to sign and unlock"
        />
      </AccountForm>
    </main>
  );
}

function SignInScreen({ onSession }: { onSession: (s: AccountSession) => void }) {
  const client = useClient();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const form = useAccountSubmit(
    () => null,
    async () => onSession(await client.accounts.signIn({ username, password })),
    () => setPassword(""),
  );
  return (
    <main className="account-screen" aria-label="Sign in">
      <AccountForm
        title="Radiology Draft"
        form={form}
        failure="Not signed in"
        submit="Sign in"
        ready={!!username && !!password}
      >
        <p>Sign in to read and sign reports.</p>
        <Field label="User name" value={username} onChange={setUsername} required autoFocus kind="username" />
        <Field label="Password" kind="current-password" value={password} onChange={setPassword} required />
      </AccountForm>
    </main>
  );
}

function LockScreen(props: {
  session: AccountSession;
  reason: "idle" | "command" | null;
  onSession: (s: AccountSession) => void;
  onSignOut: () => Promise<void>;
}) {
  const client = useClient();
  const account = props.session.account as Account;
  const [secret, setSecret] = useState("");
  const ref = useRef<HTMLDivElement>(null);
  useFocusTrap(ref);
  const lockKey = useShortcutKey("session.lock");
  const form = useAccountSubmit(
    () => null,
    async () => props.onSession(await client.accounts.unlock(credentialOf(secret))),
    () => setSecret(""),
  );
  return (
    <div className="overlay account-lock" role="dialog" aria-modal="true" aria-label="Workstation locked" ref={ref}>
      <AccountForm
        title="Locked"
        form={form}
        failure="Not unlocked"
        submit="Unlock"
        ready={secret !== ""}
        secondary={
          <button type="button" className="btn" onClick={() => void props.onSignOut()}>
            Sign out (switch account)
          </button>
        }
      >
        <p data-testid="lock-account">
          {account.displayName} ({account.username}) is signed in.{" "}
          {props.reason === "idle"
            ? `The workstation locked after ${formatSeconds(props.session.idleLockSeconds)} without input.`
            : props.reason === "command"
              ? `The workstation was locked${lockKey ? ` (${lockKey})` : ""}.`
              : "The workstation is locked."}{" "}
          What is open stays as it was, hidden until you unlock.
        </p>
        <Field
          label={account.hasPin ? "Password or PIN" : "Password"}
          kind="current-password"
          value={secret}
          onChange={setSecret}
          required
          autoFocus
        />
      </AccountForm>
    </div>
  );
}

/** 900 → "15 min", 90 → "90 s". */
export function formatSeconds(s: number): string {
  return s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}
