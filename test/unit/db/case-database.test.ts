import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DatabaseError, openCaseDatabase, schemaVersion } from "../../../src-main/db/database";
import { latestSchemaVersion, migrations } from "../../../src-main/db/migrations";

const fixture = path.join(import.meta.dirname, "../../fixtures/db/case-db-v1.sqlite");

function tempCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-db-"));
  const file = path.join(dir, "cases.sqlite");
  fs.copyFileSync(fixture, file);
  return file;
}

describe("case database", () => {
  it("upgrades a version-1 database to the latest schema and keeps its rows", () => {
    const file = tempCopy();
    const db = openCaseDatabase(file);
    expect(schemaVersion(db)).toBe(latestSchemaVersion);
    expect(latestSchemaVersion).toBeGreaterThan(1);
    expect(db.prepare("SELECT patient_name FROM studies WHERE id = 'study-1'").get()).toEqual({
      patient_name: "DOE^JANE",
    });
    expect(db.prepare("SELECT count(*) AS n FROM images").get()).toEqual({ n: 1 });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (r) => r.name,
    );
    expect(tables).toEqual(expect.arrayContaining(["draft_versions", "signed_reports", "report_addenda", "audit_log"]));
    db.close();
  });

  it("migration 6 drops the base64 thumbnails from stored similar cases, keeping order, adding source and URL", () => {
    const file = tempCopy();
    const v5 = openCaseDatabase(file, { migrations: migrations.filter((m) => m.version <= 5) });
    const labels = Array(14).fill(null);
    const cases = [
      { studyId: "CXR2_IM-1", similarity: 0.9, report: "a", labels, thumbnailUrl: "data:image/jpeg;base64,/9j/AA" },
      { studyId: "odd id/1", similarity: 0.8, report: "b", labels, thumbnailUrl: "data:image/png;base64,iVBO" },
      { studyId: "signed-1", similarity: 0.7, report: "c", labels },
    ];
    v5.prepare("INSERT INTO retrieval_index_meta (id, model_id, dim) VALUES (1, 'm', 2)").run();
    v5.prepare(
      "INSERT INTO retrieval_cases (study_id, report, labels, source, model_id, vector) VALUES ('signed-1', 'c', ?, 'signed', 'm', x'0000803f00000000')",
    ).run(JSON.stringify(labels));
    v5.prepare("INSERT INTO draft_jobs (study_id, state, similar_cases) VALUES ('study-1', 'done', ?)").run(
      JSON.stringify(cases),
    );
    v5.close();
    const db = openCaseDatabase(file);
    const row = db.prepare("SELECT similar_cases, thumbnail FROM draft_jobs WHERE study_id = 'study-1'").get() as {
      similar_cases: string;
      thumbnail: Buffer | null;
    };
    expect(row.thumbnail).toBeNull();
    expect(JSON.parse(row.similar_cases)).toEqual([
      {
        studyId: "CXR2_IM-1",
        similarity: 0.9,
        report: "a",
        labels,
        source: "gallery",
        thumbnailUrl: "thumbnail/CXR2_IM-1",
      },
      { studyId: "odd id/1", similarity: 0.8, report: "b", labels, source: "gallery" },
      { studyId: "signed-1", similarity: 0.7, report: "c", labels, source: "signed" },
    ]);
    db.close();
  });

  it("migration 16 rebuilds measurements for the probe, keeping rows, ids, the index and both triggers", () => {
    const file = tempCopy();
    const v15 = openCaseDatabase(file, { migrations: migrations.filter((m) => m.version <= 15) });
    const imageId = (v15.prepare("SELECT id FROM images LIMIT 1").get() as { id: string }).id;
    const insert = v15.prepare(
      `INSERT INTO measurements (study_id, image_id, kind, points, calibration) VALUES ('study-1', ?, ?, ?, '{"source":"none"}')`,
    );
    insert.run(imageId, "length", "[[0,0],[1,1]]");
    const deleted = Number(insert.run(imageId, "angle", "[[0,1],[0,0],[1,0]]").lastInsertRowid);
    v15.prepare("DELETE FROM measurements WHERE id = ?").run(deleted);
    expect(() => insert.run(imageId, "probe", "[[1,1]]")).toThrow(/CHECK/);
    v15.close();
    const db = openCaseDatabase(file);
    expect(schemaVersion(db)).toBe(latestSchemaVersion);
    expect(db.prepare("SELECT id, kind, reading FROM measurements").all()).toEqual([
      { id: deleted - 1, kind: "length", reading: null },
    ]);
    const schema = (
      db.prepare("SELECT type, name FROM sqlite_master WHERE tbl_name = 'measurements'").all() as {
        type: string;
        name: string;
      }[]
    ).map((r) => `${r.type} ${r.name}`);
    expect(schema.sort()).toEqual([
      "index measurements_study",
      "table measurements",
      "trigger measurements_signed_locked",
      "trigger measurements_signed_no_delete",
    ]);
    const probe = db
      .prepare(
        `INSERT INTO measurements (study_id, image_id, kind, points, calibration, reading) VALUES ('study-1', ?, 'probe', '[{"x":1,"y":1}]', '{"source":"none"}', '{"stored":5,"modality":5}')`,
      )
      .run(imageId);
    // AUTOINCREMENT's high-water mark survived: the deleted angle's id is not handed out again.
    expect(Number(probe.lastInsertRowid)).toBe(deleted + 1);
    expect(() =>
      db
        .prepare(
          `INSERT INTO measurements (study_id, image_id, kind, points, calibration) VALUES ('study-1', ?, 'probe', '[]', '{}')`,
        )
        .run(imageId),
    ).toThrow(/CHECK/);
    // A signed measurement (no signed report row is needed for the triggers: foreign keys off for this check).
    db.pragma("foreign_keys = OFF");
    db.prepare("UPDATE measurements SET signed_report_id = 0 WHERE id = ?").run(deleted - 1);
    expect(() => db.prepare("DELETE FROM measurements WHERE id = ?").run(deleted - 1)).toThrow(/signed report/);
    expect(() => db.prepare("UPDATE measurements SET label = 'x' WHERE id = ?").run(deleted - 1)).toThrow(/locked/);
    db.close();
  });

  it("runs with WAL and foreign keys", () => {
    const db = openCaseDatabase(tempCopy());
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(() => db.prepare("INSERT INTO series (id, study_id) VALUES ('s', 'no-such-study')").run()).toThrow(
      /FOREIGN KEY/,
    );
    db.close();
  });

  it("locks signed reports and keeps the audit log append-only", () => {
    const db = openCaseDatabase(tempCopy());
    db.prepare(
      "INSERT INTO draft_versions (study_id, version, sections, origin, author) VALUES ('study-1', 1, '{}', 'ai', 'model')",
    ).run();
    db.prepare(
      "INSERT INTO signed_reports (study_id, draft_version_id, sections, text, text_sha256, signed_by) VALUES ('study-1', 1, '{}', 'Normal chest.', 'x', 'Dr A')",
    ).run();
    expect(() => db.prepare("UPDATE signed_reports SET text = 'changed'").run()).toThrow(/locked/);
    expect(() => db.prepare("DELETE FROM signed_reports").run()).toThrow(/cannot be deleted/);
    expect(() => db.prepare("DELETE FROM studies WHERE id = 'study-1'").run()).toThrow();
    expect(() => db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(/append-only/);
    db.close();
  });

  it("refuses a database newer than this build", () => {
    const file = tempCopy();
    const db = openCaseDatabase(file);
    db.pragma(`user_version = ${latestSchemaVersion + 1}`);
    db.close();
    expect(() => openCaseDatabase(file)).toThrow(DatabaseError);
    expect(() => openCaseDatabase(file)).toThrow(/newer than this build supports/);
  });

  it("names the file when it is not a database", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-db-"));
    const file = path.join(dir, "cases.sqlite");
    fs.writeFileSync(file, "this is not a database, it is text ".repeat(200));
    expect(() => openCaseDatabase(file)).toThrow(file);
  });
});
