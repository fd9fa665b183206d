/**
 * A real Orthanc (Debian's 1.10 with the DICOMweb plugin) for the PACS tests: a throw-away storage folder, a free
 * loopback port, authentication on, remote access off, no DICOM port, no other plugin.
 *
 * Orthanc has no bind-address option: it listens on every interface. So it is only started inside a network
 * namespace that has nothing but loopback (`npm run test:pacs` runs the PACS tests under `unshare -n`);
 * `assertLoopbackOnly()` refuses to start it anywhere else.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const ORTHANC_BIN = process.env.ORTHANC_BIN ?? "/usr/sbin/Orthanc";
export const DICOMWEB_PLUGIN =
  process.env.ORTHANC_DICOMWEB_PLUGIN ?? "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";

export interface OrthancOptions {
  /** Registered users (HTTP Basic); default one user "radiology" / a random password. */
  users?: Record<string, string>;
  /** Keep this storage folder (restart on the same data); default a new temporary folder. */
  storageDir?: string;
  port?: number;
}

export interface OrthancProcess {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  /** The DICOMweb root: origin + /dicom-web */
  dicomWebUrl: string;
  port: number;
  storageDir: string;
  user: string;
  password: string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait (a PACS that dies in the middle of something). */
  kill(): Promise<void>;
  /** Starts it again on the same port and storage. */
  restart(): Promise<void>;
  /** Orthanc's own log (stderr + stdout), for failure messages. */
  log(): string;
}

/** True when this process sees no network interface other than loopback (inside `unshare -n`). */
export function loopbackOnly(): boolean {
  const names = Object.keys(os.networkInterfaces());
  return names.every((n) => n === "lo");
}

export function assertLoopbackOnly(): void {
  if (!loopbackOnly())
    throw new Error(
      `Orthanc listens on all interfaces; this process sees ${Object.keys(os.networkInterfaces()).join(", ")}. ` +
        "Run the PACS tests with `npm run test:pacs` (inside a loopback-only network namespace).",
    );
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startOrthanc(options: OrthancOptions = {}): Promise<OrthancProcess> {
  assertLoopbackOnly();
  if (!fs.existsSync(ORTHANC_BIN)) throw new Error(`${ORTHANC_BIN} not found: install Debian's orthanc`);
  if (!fs.existsSync(DICOMWEB_PLUGIN)) throw new Error(`${DICOMWEB_PLUGIN} not found: install orthanc-dicomweb`);
  const storageDir = options.storageDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "rd-orthanc-"));
  const port = options.port ?? (await freePort());
  const users = options.users ?? { radiology: `pw-${Math.random().toString(36).slice(2)}` };
  const [user, password] = Object.entries(users)[0] as [string, string];
  const configPath = path.join(storageDir, "orthanc.json");
  fs.writeFileSync(
    configPath,
    JSON.stringify(
      {
        Name: "RD-TEST-PACS",
        StorageDirectory: path.join(storageDir, "db"),
        IndexDirectory: path.join(storageDir, "db"),
        HttpPort: port,
        HttpServerEnabled: true,
        RemoteAccessAllowed: false,
        AuthenticationEnabled: true,
        RegisteredUsers: users,
        SslEnabled: false,
        DicomServerEnabled: false,
        Plugins: [DICOMWEB_PLUGIN],
        DicomWeb: { Enable: true, Root: "/dicom-web/", EnableWado: false },
        StorageCompression: false,
        // Synchronous writes: an instance Orthanc answered for is on disk when it is killed.
        SyncStorageArea: true,
        HttpTimeout: 30,
        ConcurrentJobs: 1,
        HttpThreadsCount: 8,
      },
      null,
      2,
    ),
  );
  const origin = `http://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let log = "";

  const launch = async () => {
    log = "";
    const proc = spawn(ORTHANC_BIN, ["--no-jobs", configPath], { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    proc.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    proc.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    const deadline = Date.now() + 30_000;
    const auth = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`Orthanc exited with ${proc.exitCode}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`Orthanc did not answer on ${origin} in 30 s:\n${log}`);
      const ok = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
      if (ok) {
        try {
          const res = await fetch(`${origin}/system`, { headers: { authorization: auth } });
          if (res.ok) return;
        } catch {
          /* not ready */
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once("exit", () => resolve());
      proc.kill(signal);
    });

  await launch();
  return {
    origin,
    dicomWebUrl: `${origin}/dicom-web`,
    port,
    storageDir,
    user,
    password,
    stop: () => waitExit("SIGTERM"),
    kill: () => waitExit("SIGKILL"),
    restart: async () => {
      await waitExit("SIGTERM");
      await launch();
    },
    log: () => log,
  };
}

/**
 * A TLS-terminating proxy in front of Orthanc, as a department puts nginx in front of its PACS: Debian's Orthanc
 * 1.10 dies on the first HTTPS connection with its own SslEnabled (civetweb + OpenSSL 3), so the tests of the
 * custom-CA path terminate TLS here (node:tls, the given certificate) and pass the bytes to Orthanc's HTTP port.
 */
export async function startTlsProxy(
  target: OrthancProcess,
  tlsOptions: { cert: string; key: string },
): Promise<{ origin: string; dicomWebUrl: string; close(): Promise<void> }> {
  assertLoopbackOnly();
  const tlsModule = await import("node:tls");
  const server = tlsModule.createServer(tlsOptions, (client) => {
    const upstream = net.connect(target.port, "127.0.0.1");
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  const origin = `https://127.0.0.1:${port}`;
  return {
    origin,
    dicomWebUrl: `${origin}/dicom-web`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** STOW-RS of DICOM files to the test PACS (the way the tests load it), returns the HTTP status. */
export async function stowFiles(pacs: OrthancProcess, files: readonly string[]): Promise<number> {
  const boundary = `rd-test-${Math.random().toString(36).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const file of files) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`));
    chunks.push(fs.readFileSync(file));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const res = await fetch(`${pacs.dicomWebUrl}/studies`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${pacs.user}:${pacs.password}`).toString("base64")}`,
      "content-type": `multipart/related; type="application/dicom"; boundary=${boundary}`,
      accept: "application/dicom+json",
    },
    body: Buffer.concat(chunks),
  });
  await res.arrayBuffer();
  return res.status;
}
