import { afterEach, describe, expect, it } from "vitest";
import { type CaseDatabase, openCaseDatabase } from "../../../src-main/db/database";
import { StudiesService } from "../../../src-main/services/studies/studies-service";

const open: CaseDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

/** Studies as an import writes them; ties in date and import time on purpose. */
function seeded(): { db: CaseDatabase; studies: StudiesService } {
  const db = openCaseDatabase(":memory:");
  open.push(db);
  const insert = db.prepare(
    "INSERT INTO studies (id, patient_name, study_date, source, created_at) VALUES (?, ?, ?, 'import', ?)",
  );
  const t = "2026-12-03T09:00:00.000Z";
  // Inserted in an order unlike the expected one, so that insertion order cannot pass for the rule.
  insert.run("st-d", "D", null, t);
  insert.run("st-b", "B", "2004-08-26", t);
  insert.run("st-c", "C", null, "2026-12-03T09:00:01.000Z");
  insert.run("st-a", "A", "2004-08-26", t);
  insert.run("st-e", "E", "2010-01-01", t);
  return { db, studies: new StudiesService(db) };
}

describe("the worklist order", () => {
  it("is total: study date (newest first, none last), then the latest added, then the id", () => {
    const { studies } = seeded();
    expect(studies.list().map((s) => s.id)).toEqual(["st-e", "st-a", "st-b", "st-c", "st-d"]);
  });

  it("does not change while drafts finish, are signed or a study is re-imported", () => {
    const { db, studies } = seeded();
    const before = studies.list().map((s) => s.id);
    const touch = db.prepare(
      "UPDATE studies SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) WHERE id = ?",
    );
    // Statuses and update times in the order that would most reorder rows sorted by them.
    for (const [i, id] of [...before].reverse().entries())
      touch.run(["drafting", "drafted", "signed"][i % 3], `+${i} seconds`, id);
    expect(studies.list().map((s) => s.id)).toEqual(before);
    // A filter keeps the same relative order.
    const drafted = studies.list({ status: "drafted" }).map((s) => s.id);
    expect(drafted).toEqual(before.filter((id) => drafted.includes(id)));
  });
});

describe("worklist date search and accession (issue 18.6)", () => {
  it("a date range keeps the studies dated inside it, both ends inclusive; accession is searched", () => {
    const { db, studies } = seeded();
    db.prepare("UPDATE studies SET accession_number = 'ACC-77' WHERE id = 'st-e'").run();
    expect(studies.list({ dateFrom: "2004-08-26", dateTo: "2004-08-26" }).map((s) => s.id)).toEqual(["st-a", "st-b"]);
    expect(studies.list({ dateFrom: "2005-01-01" }).map((s) => s.id)).toEqual(["st-e"]);
    expect(studies.list({ dateTo: "2009-12-31" }).map((s) => s.id)).toEqual(["st-a", "st-b"]);
    expect(studies.list({ search: "acc-77" }).map((s) => [s.id, s.accessionNumber])).toEqual([["st-e", "ACC-77"]]);
  });
});
