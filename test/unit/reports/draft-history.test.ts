/**
 * History a person can use (issue 12.7): a scripted 10-minute editing session on the reports service (real SQLite,
 * the service's clock scripted) makes a handful of versions — a new one after a pause of a minute or at an explicit
 * step — while every autosave is still committed at once.
 */
import { describe, expect, it } from "vitest";
import { VERSION_PAUSE_MS } from "../../../src-main/services/reports/reports-service";
import { EMPTY_SECTIONS, type ReportSections } from "../../../src-shared/report-types";
import { dicomStudy, insertStudy, makeReportsHarness } from "../../support/report-fixtures";
import { closedAfterEach } from "../../support/vitest-fixtures";

const STUDY = "study-history";
const closeLater = closedAfterEach();

/** What the user does, in order: type for a while (a save every `every` ms), pause, insert a sentence, restore. */
type Step =
  | { kind: "type"; ms: number; every: number }
  | { kind: "pause"; ms: number }
  | { kind: "insert" }
  | { kind: "restore-previous" };

const SESSION: Step[] = [
  { kind: "type", ms: 45_000, every: 1_500 },
  { kind: "pause", ms: 20_000 }, // a short think: the same version
  { kind: "type", ms: 30_000, every: 2_000 },
  { kind: "pause", ms: 90_000 }, // a phone call: the next save is a new version
  { kind: "type", ms: 60_000, every: 1_000 },
  { kind: "insert" }, // a sentence from a prior case: its own version
  { kind: "type", ms: 20_000, every: 1_200 },
  { kind: "pause", ms: 40_000 },
  { kind: "type", ms: 50_000, every: 1_800 },
  { kind: "pause", ms: 65_000 },
  { kind: "type", ms: 40_000, every: 900 },
  { kind: "restore-previous" }, // an explicit step
  { kind: "type", ms: 30_000, every: 1_500 },
  { kind: "pause", ms: 30_000 },
  { kind: "type", ms: 80_000, every: 2_500 },
];

describe("draft history", () => {
  it("a scripted 10-minute editing session makes about ten versions, and every save is kept", () => {
    let now = Date.parse("2026-12-03T10:00:00Z");
    const started = now;
    const h = closeLater(makeReportsHarness({ now: () => now }));
    insertStudy(h.db, dicomStudy(STUDY));
    let sections: ReportSections = { ...EMPTY_SECTIONS };
    let base: number | null = null;
    let saves = 0;
    let words = 0;
    const save = (origin: "user" | "insert") => {
      const result = h.reports.save(STUDY, { sections, baseVersion: base, origin });
      expect(result.saved).toBe(true);
      // What was acknowledged is what the database holds (a crash now loses nothing saved).
      expect(result.draft?.sections).toEqual(sections);
      base = result.draft!.version;
      saves++;
    };
    for (const step of SESSION) {
      if (step.kind === "type") {
        for (let t = 0; t < step.ms; t += step.every) {
          now += step.every;
          sections = { ...sections, findings: `${sections.findings}word${++words} `.trimStart() };
          save("user");
        }
      } else if (step.kind === "pause") {
        now += step.ms;
      } else if (step.kind === "insert") {
        now += 1_000;
        sections = { ...sections, findings: `${sections.findings}No pleural effusion. ` };
        save("insert");
      } else {
        now += 2_000;
        const previous = h.reports.versions(STUDY)[1]!;
        const restored = h.reports.restore(STUDY, previous.version);
        sections = restored.draft!.sections;
        base = restored.draft!.version;
      }
    }
    const minutes = (now - started) / 60_000;
    const versions = h.reports.versions(STUDY);
    console.log(
      `${minutes.toFixed(1)}-minute session: ${saves} autosaves, ${versions.length} versions (${versions
        .map((v) => v.origin)
        .reverse()
        .join(", ")}); pause for a new version ${VERSION_PAUSE_MS / 1000} s`,
    );
    expect(minutes).toBeGreaterThanOrEqual(10);
    expect(saves).toBeGreaterThan(200);
    expect(versions.length).toBeLessThanOrEqual(10);
    // Pauses of a minute or more, the insert and the restore each began a version; shorter pauses did not.
    expect(versions.map((v) => v.origin).reverse()).toEqual([
      "user",
      "user",
      "insert",
      "user",
      "user",
      "restore",
      "user",
    ]);
    expect(h.reports.state(STUDY).draft?.sections).toEqual(sections);
    // After a restart (a new service on the same file) the last save is there.
    const after = closeLater(h.restart());
    expect(after.reports.state(STUDY).draft?.sections).toEqual(sections);
  });
});
