/**
 * Versioned migrations of the case database. PRAGMA user_version holds the applied version.
 * Append new migrations; never edit one that has shipped. The schema is documented in docs/database.md.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "studies, series, images, audit log",
    sql: `
      CREATE TABLE studies (
        id                  TEXT PRIMARY KEY,
        study_instance_uid  TEXT UNIQUE,
        patient_id          TEXT,
        patient_name        TEXT,
        study_date          TEXT,
        description         TEXT,
        source              TEXT NOT NULL CHECK (source IN ('demo', 'import')),
        status              TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'drafting', 'drafted', 'signed')),
        created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE series (
        id                   TEXT PRIMARY KEY,
        study_id             TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        series_instance_uid  TEXT,
        modality             TEXT,
        description          TEXT,
        UNIQUE (study_id, series_instance_uid)
      );
      CREATE TABLE images (
        id                TEXT PRIMARY KEY,
        series_id         TEXT NOT NULL REFERENCES series(id) ON DELETE CASCADE,
        sop_instance_uid  TEXT,
        file_path         TEXT NOT NULL,
        file_sha256       TEXT,
        view              TEXT NOT NULL DEFAULT 'unknown' CHECK (view IN ('frontal', 'lateral', 'unknown')),
        view_reason       TEXT,
        width             INTEGER,
        height            INTEGER,
        transfer_syntax   TEXT,
        UNIQUE (series_id, file_path)
      );
      CREATE INDEX images_series ON images(series_id);
      CREATE TABLE audit_log (
        id        INTEGER PRIMARY KEY AUTOINCREMENT,
        at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        study_id  TEXT REFERENCES studies(id) ON DELETE SET NULL,
        details   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
      );
      CREATE INDEX audit_log_study ON audit_log(study_id);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
  {
    version: 2,
    name: "draft versions, signed reports, addenda",
    sql: `
      CREATE TABLE draft_versions (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id    TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        version     INTEGER NOT NULL,
        sections    TEXT NOT NULL CHECK (json_valid(sections)),
        ai_spans    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(ai_spans)),
        origin      TEXT NOT NULL CHECK (origin IN ('ai', 'user', 'insert', 'restore')),
        author      TEXT NOT NULL,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (study_id, version)
      );
      CREATE TABLE signed_reports (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id          TEXT NOT NULL UNIQUE REFERENCES studies(id) ON DELETE RESTRICT,
        draft_version_id  INTEGER REFERENCES draft_versions(id) ON DELETE RESTRICT,
        sections          TEXT NOT NULL CHECK (json_valid(sections)),
        text              TEXT NOT NULL,
        text_sha256       TEXT NOT NULL,
        signed_by         TEXT NOT NULL,
        signed_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TRIGGER signed_reports_locked BEFORE UPDATE ON signed_reports
        BEGIN SELECT RAISE(ABORT, 'a signed report is locked: add an addendum instead'); END;
      CREATE TRIGGER signed_reports_no_delete BEFORE DELETE ON signed_reports
        BEGIN SELECT RAISE(ABORT, 'a signed report cannot be deleted'); END;
      CREATE TABLE report_addenda (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        signed_report_id  INTEGER NOT NULL REFERENCES signed_reports(id) ON DELETE RESTRICT,
        text              TEXT NOT NULL CHECK (length(trim(text)) > 0),
        author            TEXT NOT NULL,
        created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TRIGGER report_addenda_locked BEFORE UPDATE ON report_addenda
        BEGIN SELECT RAISE(ABORT, 'an addendum is locked once written'); END;
    `,
  },
  {
    version: 3,
    name: "draft jobs (AI output, similar cases, study embedding), settings",
    sql: `
      CREATE TABLE draft_jobs (
        study_id         TEXT PRIMARY KEY REFERENCES studies(id) ON DELETE CASCADE,
        state            TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed', 'cancelled')),
        model            TEXT CHECK (model IS NULL OR json_valid(model)),
        ai_version_id    INTEGER REFERENCES draft_versions(id) ON DELETE SET NULL,
        similar_cases    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(similar_cases)),
        embedding        BLOB,
        embedding_model  TEXT,
        message          TEXT,
        started_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        finished_at      TEXT
      );
      CREATE TABLE settings (
        key         TEXT PRIMARY KEY,
        value       TEXT NOT NULL CHECK (json_valid(value)),
        updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
    `,
  },
  {
    version: 4,
    name: "retrieval index: cases with embedding vectors, index model",
    sql: `
      CREATE TABLE retrieval_index_meta (
        id                INTEGER PRIMARY KEY CHECK (id = 1),
        model_id          TEXT NOT NULL CHECK (length(model_id) > 0),
        dim               INTEGER NOT NULL CHECK (dim > 0),
        gallery_seeded_at TEXT,
        gallery_count     INTEGER,
        created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE retrieval_cases (
        study_id    TEXT PRIMARY KEY CHECK (length(study_id) > 0),
        report      TEXT NOT NULL,
        labels      TEXT NOT NULL CHECK (json_valid(labels) AND json_type(labels) = 'array' AND json_array_length(labels) = 14),
        source      TEXT NOT NULL CHECK (source IN ('gallery', 'signed', 'indexed')),
        model_id    TEXT NOT NULL,
        vector      BLOB NOT NULL,
        thumbnail   BLOB,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE INDEX retrieval_cases_source ON retrieval_cases(source);
      CREATE TRIGGER retrieval_cases_same_model BEFORE INSERT ON retrieval_cases
        WHEN NEW.model_id IS NOT (SELECT model_id FROM retrieval_index_meta WHERE id = 1)
          OR length(NEW.vector) IS NOT 4 * (SELECT dim FROM retrieval_index_meta WHERE id = 1)
        BEGIN SELECT RAISE(ABORT, 'retrieval case vector does not match the index model or dimension'); END;
      CREATE TRIGGER retrieval_cases_same_model_update BEFORE UPDATE OF model_id, vector ON retrieval_cases
        WHEN NEW.model_id IS NOT (SELECT model_id FROM retrieval_index_meta WHERE id = 1)
          OR length(NEW.vector) IS NOT 4 * (SELECT dim FROM retrieval_index_meta WHERE id = 1)
        BEGIN SELECT RAISE(ABORT, 'retrieval case vector does not match the index model or dimension'); END;
      CREATE TRIGGER retrieval_index_model_locked BEFORE UPDATE OF model_id, dim ON retrieval_index_meta
        WHEN EXISTS (SELECT 1 FROM retrieval_cases)
        BEGIN SELECT RAISE(ABORT, 'the retrieval index holds vectors of its model: remove them before changing the model'); END;
    `,
  },
  {
    version: 5,
    name: "PACS connections, retrieved studies, STOW-RS outbox, DICOMweb index state",
    sql: `
      CREATE TABLE pacs_connections (
        id              TEXT PRIMARY KEY CHECK (id GLOB 'pacs-[0-9a-f]*' AND length(id) = 17),
        name            TEXT NOT NULL CHECK (length(trim(name)) > 0),
        base_url        TEXT NOT NULL CHECK (base_url GLOB 'http://*' OR base_url GLOB 'https://*'),
        auth_kind       TEXT NOT NULL CHECK (auth_kind IN ('none', 'basic', 'bearer')),
        username        TEXT CHECK ((auth_kind = 'basic') = (username IS NOT NULL)),
        ca_certificate  TEXT,
        created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TABLE pacs_studies (
        connection_id       TEXT NOT NULL REFERENCES pacs_connections(id) ON DELETE CASCADE,
        study_instance_uid  TEXT NOT NULL,
        study_id            TEXT REFERENCES studies(id) ON DELETE SET NULL,
        state               TEXT NOT NULL CHECK (state IN ('partial', 'complete')),
        instances           INTEGER NOT NULL DEFAULT 0,
        cache_dir           TEXT NOT NULL,
        retrieved_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (connection_id, study_instance_uid)
      );
      CREATE TABLE pacs_outbox (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        connection_id       TEXT NOT NULL REFERENCES pacs_connections(id) ON DELETE RESTRICT,
        sop_instance_uid    TEXT NOT NULL,
        study_instance_uid  TEXT NOT NULL,
        study_id            TEXT REFERENCES studies(id) ON DELETE SET NULL,
        bytes               BLOB NOT NULL,
        sha256              TEXT NOT NULL,
        state               TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'stored', 'failed')),
        attempts            INTEGER NOT NULL DEFAULT 0,
        last_error          TEXT,
        next_attempt_at     TEXT,
        created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        stored_at           TEXT,
        UNIQUE (connection_id, sop_instance_uid)
      );
      CREATE INDEX pacs_outbox_due ON pacs_outbox(state, next_attempt_at);
      CREATE TRIGGER pacs_outbox_bytes_locked BEFORE UPDATE OF bytes, sha256, sop_instance_uid, connection_id ON pacs_outbox
        BEGIN SELECT RAISE(ABORT, 'an outbox entry keeps its bytes and SOP Instance UID'); END;
      CREATE TRIGGER pacs_outbox_no_delete_unstored BEFORE DELETE ON pacs_outbox WHEN OLD.state <> 'stored'
        BEGIN SELECT RAISE(ABORT, 'an outbox entry that is not stored cannot be deleted'); END;
      CREATE TABLE pacs_index_state (
        base_url            TEXT NOT NULL,
        study_instance_uid  TEXT NOT NULL,
        sr_sop_instance_uid TEXT NOT NULL,
        case_id             TEXT NOT NULL,
        indexed_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (base_url, study_instance_uid)
      );
    `,
  },
  {
    version: 6,
    name: "draft job thumbnail, similar cases without image bytes, coalesced draft versions",
    sql: `
      ALTER TABLE draft_jobs ADD COLUMN thumbnail BLOB;
      -- Similar cases carry their source and a file-channel URL of the thumbnail (served by study id from
      -- retrieval_cases.thumbnail), no longer the image bytes as a base64 data: URL.
      UPDATE draft_jobs SET similar_cases = (
        SELECT json_group_array(json(
          CASE
            WHEN json_extract(c.value, '$.thumbnailUrl') IS NOT NULL
              AND json_extract(c.value, '$.studyId') NOT GLOB '*[^A-Za-z0-9._~-]*'
            THEN json_set(json_remove(c.value, '$.thumbnailUrl'), '$.source', c.source,
                          '$.thumbnailUrl', 'thumbnail/' || json_extract(c.value, '$.studyId'))
            ELSE json_set(json_remove(c.value, '$.thumbnailUrl'), '$.source', c.source)
          END))
        FROM (
          SELECT j.key, j.value, coalesce(
            (SELECT r.source FROM retrieval_cases r WHERE r.study_id = json_extract(j.value, '$.studyId')), 'gallery'
          ) AS source
          FROM json_each(draft_jobs.similar_cases) AS j ORDER BY j.key
        ) AS c
      )
      WHERE json_array_length(similar_cases) > 0;
      -- A draft version is written again while the user keeps typing (autosave) and closed after a pause.
      ALTER TABLE draft_versions ADD COLUMN updated_at TEXT;
      UPDATE draft_versions SET updated_at = created_at;
    `,
  },
  {
    version: 7,
    name: "scope gate: the model's score of a study and the user's override of 'not eligible'",
    sql: `
      CREATE TABLE study_scope (
        study_id         TEXT PRIMARY KEY REFERENCES studies(id) ON DELETE CASCADE,
        ood_score        REAL CHECK (ood_score IS NULL OR (ood_score >= -1.0001 AND ood_score <= 1.0001)),
        ood_threshold    REAL,
        ood_model        TEXT,
        override_by      TEXT,
        override_at      TEXT,
        override_reason  TEXT,
        updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        CHECK ((override_by IS NULL) = (override_at IS NULL))
      );
    `,
  },
  {
    version: 8,
    name: "PACS: store the Encapsulated PDF too (per connection), outbox entry kind",
    sql: `
      ALTER TABLE pacs_connections ADD COLUMN store_pdf INTEGER NOT NULL DEFAULT 0 CHECK (store_pdf IN (0, 1));
      ALTER TABLE pacs_outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'sr' CHECK (kind IN ('sr', 'pdf'));
    `,
  },
  {
    version: 9,
    name: "model findings of a drafting job",
    sql: `
      ALTER TABLE draft_jobs ADD COLUMN model_findings TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(model_findings));
    `,
  },
  {
    version: 10,
    name: "critical results: the study's flag (worklist order) and the communication record of a signed report",
    sql: `
      ALTER TABLE studies ADD COLUMN critical INTEGER NOT NULL DEFAULT 0 CHECK (critical IN (0, 1));
      CREATE TABLE critical_communications (
        signed_report_id  INTEGER PRIMARY KEY REFERENCES signed_reports(id),
        findings          TEXT NOT NULL CHECK (json_valid(findings)),
        recipient         TEXT NOT NULL,
        method            TEXT NOT NULL,
        communicated_at   TEXT NOT NULL,
        recorded_by       TEXT NOT NULL,
        created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE TRIGGER critical_communications_locked BEFORE UPDATE ON critical_communications
        BEGIN SELECT RAISE(ABORT, 'a critical result communication is locked once recorded'); END;
      CREATE TRIGGER critical_communications_no_delete BEFORE DELETE ON critical_communications
        BEGIN SELECT RAISE(ABORT, 'a critical result communication cannot be deleted'); END;
    `,
  },
  {
    version: 11,
    name: "measurements on the study's images (length, angle, elliptical ROI, cardiothoracic ratio)",
    sql: `
      CREATE TABLE measurements (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id          TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        image_id          TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        kind              TEXT NOT NULL CHECK (kind IN ('length', 'angle', 'ellipse', 'ctr')),
        points            TEXT NOT NULL CHECK (json_valid(points)),
        calibration       TEXT NOT NULL CHECK (json_valid(calibration)),
        stats             TEXT CHECK (stats IS NULL OR json_valid(stats)),
        label             TEXT NOT NULL DEFAULT '',
        -- Set when the report is signed: the measurement is then part of the signed record (SR, PDF) and locked.
        signed_report_id  INTEGER REFERENCES signed_reports(id) ON DELETE RESTRICT,
        created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE INDEX measurements_study ON measurements(study_id);
      CREATE TRIGGER measurements_signed_locked BEFORE UPDATE ON measurements WHEN OLD.signed_report_id IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a measurement of a signed report is locked'); END;
      CREATE TRIGGER measurements_signed_no_delete BEFORE DELETE ON measurements WHEN OLD.signed_report_id IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a measurement of a signed report cannot be deleted'); END;
    `,
  },
  {
    version: 12,
    name: "local user accounts: the radiologist's name in DICOM PN parts, scrypt hashes of password and PIN",
    sql: `
      CREATE TABLE accounts (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        username       TEXT NOT NULL UNIQUE,
        family_name    TEXT NOT NULL CHECK (family_name <> ''),
        given_name     TEXT NOT NULL DEFAULT '',
        middle_name    TEXT NOT NULL DEFAULT '',
        name_prefix    TEXT NOT NULL DEFAULT '',
        name_suffix    TEXT NOT NULL DEFAULT '',
        password_hash  TEXT NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
        pin_hash       TEXT CHECK (pin_hash IS NULL OR pin_hash LIKE 'scrypt$%'),
        created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      -- Who signed, as an account: its user name and DICOM PN (NULL for reports signed with a free-text name).
      ALTER TABLE signed_reports ADD COLUMN signed_by_account TEXT;
      ALTER TABLE signed_reports ADD COLUMN signed_by_pn TEXT;
    `,
  },
  {
    version: 13,
    name: "study header from the images (issue 18.5); draft version revision, refusing stale autosaves (issue 18.6)",
    sql: `
      ALTER TABLE studies ADD COLUMN institution_name TEXT;
      ALTER TABLE studies ADD COLUMN accession_number TEXT;
      ALTER TABLE studies ADD COLUMN referring_physician TEXT;
      CREATE INDEX studies_accession ON studies(accession_number);
      -- Every write of a draft version (an autosave into the same version too) counts up its revision.
      ALTER TABLE draft_versions ADD COLUMN revision INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1);
    `,
  },
  {
    version: 14,
    name: "report macros per account: name, text with pick-list slots and blanks, optional hotkey (issue 18.4)",
    sql: `
      CREATE TABLE macros (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        -- The account whose macro it is; NULL: the workstation's, made while no account existed (the first
        -- account to use macros adopts them).
        account_id  INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
        name        TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 80),
        text        TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
        -- A chord in the command table's notation ("Alt+Shift+n"), or NULL.
        hotkey      TEXT CHECK (hotkey IS NULL OR length(hotkey) BETWEEN 3 AND 40),
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
      );
      CREATE UNIQUE INDEX macros_owner_name ON macros(ifnull(account_id, 0), name COLLATE NOCASE);
      CREATE UNIQUE INDEX macros_owner_hotkey ON macros(ifnull(account_id, 0), hotkey) WHERE hotkey IS NOT NULL;
    `,
  },
  {
    version: 15,
    name: "the signed-in account on every audit entry (issue 18.1)",
    sql: `
      -- Who was signed in when the entry was written: the account's id and its name as printed then (kept even if
      -- the account is renamed or removed later). NULL: no account was signed in (before the first account).
      ALTER TABLE audit_log ADD COLUMN account_id INTEGER;
      ALTER TABLE audit_log ADD COLUMN account_name TEXT;
      CREATE INDEX audit_log_account ON audit_log(account_id);
    `,
  },
  {
    version: 16,
    name: "the probe as a stored measurement: kind 'probe' and its reading (issue 17.2)",
    sql: `
      -- SQLite cannot alter a CHECK: the table is rebuilt with 'probe' allowed (rows, ids, index, triggers kept).
      CREATE TABLE measurements_new (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        study_id          TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        image_id          TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        kind              TEXT NOT NULL CHECK (kind IN ('length', 'angle', 'ellipse', 'ctr', 'probe')),
        points            TEXT NOT NULL CHECK (json_valid(points)),
        calibration       TEXT NOT NULL CHECK (json_valid(calibration)),
        stats             TEXT CHECK (stats IS NULL OR json_valid(stats)),
        -- A probe's reading at its point: {"stored": stored pixel value, "modality": modality value}; NULL otherwise.
        reading           TEXT CHECK (reading IS NULL OR json_valid(reading)),
        label             TEXT NOT NULL DEFAULT '',
        signed_report_id  INTEGER REFERENCES signed_reports(id) ON DELETE RESTRICT,
        created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        CHECK ((kind = 'probe') = (reading IS NOT NULL))
      );
      INSERT INTO measurements_new (id, study_id, image_id, kind, points, calibration, stats, reading, label,
                                    signed_report_id, created_at, updated_at)
        SELECT id, study_id, image_id, kind, points, calibration, stats, NULL, label,
               signed_report_id, created_at, updated_at FROM measurements;
      -- Keep AUTOINCREMENT's high-water mark, so the id of a deleted measurement is never handed out again.
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'measurements_new', seq FROM sqlite_sequence WHERE name = 'measurements'
          AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'measurements_new');
      UPDATE sqlite_sequence
        SET seq = max(seq, ifnull((SELECT seq FROM sqlite_sequence WHERE name = 'measurements'), 0))
        WHERE name = 'measurements_new';
      DROP TABLE measurements;
      ALTER TABLE measurements_new RENAME TO measurements;
      CREATE INDEX measurements_study ON measurements(study_id);
      CREATE TRIGGER measurements_signed_locked BEFORE UPDATE ON measurements WHEN OLD.signed_report_id IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a measurement of a signed report is locked'); END;
      CREATE TRIGGER measurements_signed_no_delete BEFORE DELETE ON measurements WHEN OLD.signed_report_id IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a measurement of a signed report cannot be deleted'); END;
    `,
  },
];

export const latestSchemaVersion = migrations[migrations.length - 1]?.version ?? 0;
