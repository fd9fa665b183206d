/**
 * Two editors (tabs or windows) on one draft (issue 18.6): an autosave names the version and revision it started
 * from, and a write that would overwrite text written elsewhere since is refused with a typed DraftConflictError
 * (CONFLICT with data.draftConflict over the transport), never applied silently. Real SQLite, the real service.
 */
import { afterEach, describe, expect, it } from "vitest";
import { DraftConflictError } from "../../../src-main/services/reports/errors";
import { EMPTY_SECTIONS } from "../../../src-shared/report-types";
import { dicomStudy, insertStudy, makeReportsHarness, type ReportsHarness } from "../../support/report-fixtures";

const STUDY = "two-tabs";
let h: ReportsHarness;
afterEach(() => h.close());

function setup(): ReportsHarness {
  h = makeReportsHarness();
  insertStudy(h.db, dicomStudy(STUDY));
  return h;
}

function conflictOf(fn: () => unknown): DraftConflictError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DraftConflictError) return err;
    throw err;
  }
  throw new Error("the stale write was accepted");
}

describe("stale autosave refusal", () => {
  it("every write counts up the revision; a write from a stale revision of the same version is refused", () => {
    setup();
    const a1 = h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "Tab A one." },
      baseVersion: null,
      baseRevision: null,
      origin: "user",
    });
    expect(a1.draft).toMatchObject({ version: 1, revision: 1 });
    // Tab B opened the study now: version 1, revision 1.
    const b = { version: a1.draft!.version, revision: a1.draft!.revision };
    // Tab A keeps typing: the same version, written again (revision 2).
    const a2 = h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "Tab A one. Tab A two." },
      baseVersion: 1,
      baseRevision: 1,
      origin: "user",
    });
    expect(a2.draft).toMatchObject({ version: 1, revision: 2 });
    const seen = h.seen.filter((e) => e.type === "draft-changed");
    expect(seen).toEqual([
      { type: "draft-changed", studyId: STUDY, version: 1, revision: 1 },
      { type: "draft-changed", studyId: STUDY, version: 1, revision: 2 },
    ]);
    // Tab B writes from revision 1: refused, naming the newest version and revision.
    const err = conflictOf(() =>
      h.reports.save(STUDY, {
        sections: { ...EMPTY_SECTIONS, findings: "Tab B text." },
        baseVersion: b.version,
        baseRevision: b.revision,
        origin: "user",
      }),
    );
    expect(err.conflict).toMatchObject({ studyId: STUDY, version: 1, revision: 2, author: "osuser" });
    expect(err.message).toMatch(/changed elsewhere \(version 1, revision 2/);
    // Nothing was overwritten.
    expect(h.reports.state(STUDY).draft!.sections.findings).toBe("Tab A one. Tab A two.");
    console.log(`stale write refused: ${err.message}`);

    // "Keep mine as new revision": from the newest revision, as a new version; tab A's text stays in history.
    const kept = h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "Tab B text." },
      baseVersion: 1,
      baseRevision: 2,
      asNewVersion: true,
      origin: "user",
    });
    expect(kept.draft).toMatchObject({ version: 2, revision: 1 });
    expect(h.reports.versions(STUDY).map((v) => v.sections.findings)).toEqual(["Tab B text.", "Tab A one. Tab A two."]);
  });

  it("a newer version written by a person that changed the same section is a conflict; other sections merge", () => {
    setup();
    h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "Base." },
      baseVersion: null,
      baseRevision: null,
      origin: "user",
    });
    // Tab A inserts a sentence (a new version 2) from version 1.
    h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "Base. From A." },
      baseVersion: 1,
      baseRevision: 1,
      origin: "insert",
    });
    // Tab B, still on version 1, changed Findings too: refused.
    const err = conflictOf(() =>
      h.reports.save(STUDY, {
        sections: { ...EMPTY_SECTIONS, findings: "Base. From B." },
        baseVersion: 1,
        baseRevision: 1,
        origin: "user",
      }),
    );
    expect(err.conflict).toMatchObject({ version: 2, revision: 1 });
    // Tab B changed only the Indication: merged with A's Findings, nothing lost.
    const merged = h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "Base.", indication: "Cough." },
      baseVersion: 1,
      baseRevision: 1,
      origin: "user",
    });
    expect(merged.draft!.sections).toMatchObject({ findings: "Base. From A.", indication: "Cough." });
  });

  it("callers that name no revision (in-process tools) keep the three-way merge", () => {
    setup();
    h.reports.save(STUDY, { sections: { ...EMPTY_SECTIONS, findings: "One." }, baseVersion: null, origin: "user" });
    const later = h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "Two." },
      baseVersion: 1,
      origin: "user",
    });
    expect(later.saved).toBe(true);
  });
});
