/**
 * PACS connections as settings: the `pacs_connections` table holds name, base URL, authentication kind, user name
 * and the CA certificate; the password or token is in the SecretStore under the connection's id.
 */
import crypto from "node:crypto";
import {
  type PacsAuthInput,
  type PacsConnection,
  type PacsConnectionInput,
  PacsConnectionInputSchema,
} from "../../../src-shared/pacs-types";
import type { CaseDatabase } from "../../db/database";
import { NotFoundError } from "../studies/studies-service";
import type { DicomWebAuth, DicomWebClientOptions } from "./dicomweb-client";
import { PacsError } from "./errors";
import type { SecretStore } from "./secret-store";

interface Row {
  id: string;
  name: string;
  base_url: string;
  auth_kind: "none" | "basic" | "bearer";
  username: string | null;
  ca_certificate: string | null;
  store_pdf: number;
  created_at: string;
  updated_at: string;
}

export class PacsConnections {
  constructor(
    private readonly db: CaseDatabase,
    private readonly secrets: SecretStore,
  ) {}

  private row(id: string): Row {
    const row = this.db.prepare("SELECT * FROM pacs_connections WHERE id = ?").get(id) as Row | undefined;
    if (!row) throw new NotFoundError(`no PACS connection ${id}`);
    return row;
  }

  private toConnection(row: Row): PacsConnection {
    return {
      id: row.id,
      name: row.name,
      baseUrl: row.base_url,
      auth: {
        kind: row.auth_kind,
        username: row.username,
        hasSecret: row.auth_kind !== "none" && this.secrets.get(row.id) !== null,
      },
      hasCaCertificate: row.ca_certificate !== null,
      storePdf: row.store_pdf === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  list(): PacsConnection[] {
    const rows = this.db.prepare("SELECT * FROM pacs_connections ORDER BY name, created_at").all() as Row[];
    return rows.map((r) => this.toConnection(r));
  }

  get(id: string): PacsConnection {
    return this.toConnection(this.row(id));
  }

  private secretOf(auth: PacsAuthInput): string | undefined {
    return auth.kind === "basic" ? auth.password : auth.kind === "bearer" ? auth.token : undefined;
  }

  add(input: PacsConnectionInput): PacsConnection {
    const parsed = PacsConnectionInputSchema.parse(input);
    const secret = this.secretOf(parsed.auth);
    if (parsed.auth.kind !== "none" && secret === undefined)
      throw new PacsError(
        "INVALID_INPUT",
        parsed.auth.kind === "basic" ? "give the password for HTTP Basic" : "give the bearer token",
      );
    const id = `pacs-${crypto.randomBytes(6).toString("hex")}`;
    // The secret first: a row never points at a secret that was not written.
    if (secret !== undefined) this.secrets.set(id, secret);
    this.db
      .prepare(
        `INSERT INTO pacs_connections (id, name, base_url, auth_kind, username, ca_certificate, store_pdf)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        parsed.name,
        parsed.baseUrl,
        parsed.auth.kind,
        parsed.auth.kind === "basic" ? parsed.auth.username : null,
        parsed.caCertificate ?? null,
        parsed.storePdf ? 1 : 0,
      );
    return this.get(id);
  }

  update(id: string, input: PacsConnectionInput): PacsConnection {
    const parsed = PacsConnectionInputSchema.parse(input);
    const before = this.row(id);
    const secret = this.secretOf(parsed.auth);
    const keepsSecret = secret === undefined && parsed.auth.kind === before.auth_kind && parsed.auth.kind !== "none";
    if (parsed.auth.kind !== "none" && secret === undefined && !keepsSecret)
      throw new PacsError(
        "INVALID_INPUT",
        parsed.auth.kind === "basic" ? "give the password for HTTP Basic" : "give the bearer token",
      );
    if (secret !== undefined) this.secrets.set(id, secret);
    else if (parsed.auth.kind === "none") this.secrets.delete(id);
    this.db
      .prepare(
        `UPDATE pacs_connections SET name = ?, base_url = ?, auth_kind = ?, username = ?, ca_certificate = ?,
           store_pdf = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
      )
      .run(
        parsed.name,
        parsed.baseUrl,
        parsed.auth.kind,
        parsed.auth.kind === "basic" ? parsed.auth.username : null,
        // undefined keeps the certificate, null removes it
        parsed.caCertificate === undefined ? before.ca_certificate : parsed.caCertificate,
        parsed.storePdf === undefined ? before.store_pdf : parsed.storePdf ? 1 : 0,
        id,
      );
    return this.get(id);
  }

  /** Refused while the outbox still holds reports for this connection that are not stored. */
  remove(id: string): void {
    this.row(id);
    const waiting = this.db
      .prepare("SELECT count(*) AS n FROM pacs_outbox WHERE connection_id = ? AND state <> 'stored'")
      .get(id) as { n: number };
    if (waiting.n > 0)
      throw new PacsError(
        "CONFLICT",
        `${waiting.n} signed report(s) still wait in the outbox for this PACS: they must be stored before it is removed`,
      );
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM pacs_outbox WHERE connection_id = ?").run(id);
      this.db.prepare("DELETE FROM pacs_connections WHERE id = ?").run(id);
    })();
    this.secrets.delete(id);
  }

  /** What the DICOMweb client needs for a connection (with its secret). */
  clientOptions(id: string): DicomWebClientOptions & { name: string } {
    const row = this.row(id);
    let auth: DicomWebAuth = { kind: "none" };
    if (row.auth_kind !== "none") {
      const secret = this.secrets.get(id);
      if (secret === null)
        throw new PacsError(
          "INVALID_INPUT",
          `PACS connection "${row.name}" has no stored ${row.auth_kind === "basic" ? "password" : "token"}: enter it again`,
        );
      auth =
        row.auth_kind === "basic"
          ? { kind: "basic", username: row.username ?? "", password: secret }
          : { kind: "bearer", token: secret };
    }
    return { name: row.name, baseUrl: row.base_url, auth, caCertificate: row.ca_certificate };
  }
}
