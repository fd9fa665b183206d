import { describe, expect, it } from "vitest";
import type { SignedCaseSink } from "../../../src-main/services/reports/draft-engine";
import { NO_ENGINE_MESSAGE, VERSION_PAUSE_MS } from "../../../src-main/services/reports/reports-service";
import { splitSentences } from "../../../src-shared/report-text";
import { EMPTY_SECTIONS, type ReportSections } from "../../../src-shared/report-types";
import { FixedReportTestEngine, iuReport, TEST_DOUBLE_EMBEDDING_MODEL } from "../../support/fixed-report-test-engine";
import {
  dicomStudy,
  editDraft,
  gate,
  insertStudy,
  jobSettled,
  makeReportsHarness,
  openDrafted,
  type ReportsHarness,
  signInRadiologist,
} from "../../support/report-fixtures";
import { closedAfterEach } from "../../support/vitest-fixtures";

const REPORT_ID = "CXR2384_IM-0942";
const STUDY = "study-1";
const track = closedAfterEach();

function withStudy(h: ReportsHarness, id = STUDY): ReportsHarness {
  insertStudy(h.db, dicomStudy(id));
  return h;
}

/** The text of each AI span, per section. */
function aiTexts(
  sections: ReportSections,
  spans: Array<{ section: keyof ReportSections; start: number; end: number }>,
) {
  return spans.map((s) => sections[s.section].slice(s.start, s.end));
}

describe("reports service without a model pack", () => {
  it("answers drafting with a clear 'no model pack loaded' state and no text", () => {
    const h = track(withStudy(makeReportsHarness()));
    const state = h.reports.open(STUDY);
    expect(state.job.state).toBe("unavailable");
    expect(state.job.message).toBe(NO_ENGINE_MESSAGE);
    expect(state.engine).toEqual({ available: false, model: null });
    expect(state.draft).toBeNull();
    expect(state.status).toBe("new");
    expect(h.reports.versions(STUDY)).toEqual([]);
    // Regenerate is not an error, and still invents nothing.
    expect(h.reports.regenerate(STUDY, { replaceUserEdits: true }).draft).toBeNull();
  });

  it("autosaves every change, as a new version after a pause, and de-duplicates identical saves", () => {
    let now = Date.parse("2026-12-03T09:00:00Z");
    const h = track(withStudy(makeReportsHarness({ now: () => now })));
    const first = { ...EMPTY_SECTIONS, indication: "Cough for two weeks." };
    const a = h.reports.save(STUDY, { sections: first, baseVersion: null, origin: "user" });
    expect(a.saved).toBe(true);
    expect(a.draft?.version).toBe(1);
    expect(a.draft?.origin).toBe("user");
    expect(a.draft?.author).toBe("osuser");
    expect(a.status).toBe("drafted");
    const again = h.reports.save(STUDY, { sections: first, baseVersion: 1, origin: "user" });
    expect(again.saved).toBe(false);
    expect(again.draft?.version).toBe(1);
    // Typing on within the minute: the same version, written again.
    now += 20_000;
    const typing = h.reports.save(STUDY, {
      sections: { ...first, findings: "The lungs" },
      baseVersion: 1,
      origin: "user",
    });
    expect(typing).toMatchObject({ saved: true, draft: { version: 1, sections: { findings: "The lungs" } } });
    expect(typing.draft?.updatedAt).toBe("2026-12-03T09:00:20.000Z");
    now += VERSION_PAUSE_MS;
    const b = h.reports.save(STUDY, {
      sections: { ...first, findings: "The lungs are clear." },
      baseVersion: 1,
      origin: "user",
    });
    expect(b.draft?.version).toBe(2);
    expect(h.reports.versions(STUDY).map((v) => v.version)).toEqual([2, 1]);
    // An empty draft is not saved at all.
    insertStudy(h.db, dicomStudy("study-empty", "NIH_DX_chest_implicitLE.dcm"));
    expect(h.reports.save("study-empty", { sections: EMPTY_SECTIONS, baseVersion: null, origin: "user" }).saved).toBe(
      false,
    );
  });

  it("keeps every saved word across a restart (a new service on the same database)", () => {
    const h = withStudy(makeReportsHarness());
    const sections = { ...EMPTY_SECTIONS, findings: "Heart size is normal. Lungs are clear." };
    h.reports.save(STUDY, { sections, baseVersion: null, origin: "user" });
    const after = track(h.restart());
    expect(after.reports.state(STUDY).draft?.sections).toEqual(sections);
  });

  it("restores an older version as a new 'restore' version", () => {
    let now = Date.now();
    const h = track(withStudy(makeReportsHarness({ now: () => now })));
    h.reports.save(STUDY, { sections: { ...EMPTY_SECTIONS, findings: "One." }, baseVersion: null, origin: "user" });
    now += VERSION_PAUSE_MS;
    h.reports.save(STUDY, { sections: { ...EMPTY_SECTIONS, findings: "Two." }, baseVersion: 1, origin: "user" });
    const restored = h.reports.restore(STUDY, 1);
    expect(restored.draft).toMatchObject({ version: 3, origin: "restore", sections: { findings: "One." } });
    expect(() => h.reports.restore(STUDY, 99)).toThrow(/no draft version 99/);
  });

  it("refuses unknown studies with a not-found error", () => {
    const h = track(makeReportsHarness());
    expect(() => h.reports.open("nope")).toThrow(/no study with id nope/);
  });
});

describe("AI drafting through the DraftEngine seam (fixed-report test double)", () => {
  it("drafts in the background when the study is opened: new -> drafting -> drafted, with progress events", async () => {
    const engine = new FixedReportTestEngine({ reportId: REPORT_ID });
    const h = track(withStudy(makeReportsHarness({ engine })));
    const opened = h.reports.open(STUDY);
    expect(opened.status).toBe("drafting");
    expect(opened.job.state).toBe("running");
    await jobSettled(h, STUDY);
    const state = h.reports.state(STUDY);
    expect(state.status).toBe("drafted");
    expect(state.job).toMatchObject({ state: "done", hasEmbedding: true, model: engine.model });
    const sentences = splitSentences(iuReport(REPORT_ID)).map((s) => s.text);
    expect(state.draft?.origin).toBe("ai");
    expect(state.draft?.sections.findings).toBe(sentences.slice(0, -1).join(" "));
    expect(state.draft?.sections.impression).toBe(sentences.at(-1));
    // Every AI sentence is marked as untouched AI text.
    expect(aiTexts(state.draft!.sections, state.draft!.aiSpans)).toEqual(sentences);
    expect(state.hasUserEdits).toBe(false);
    expect(state.similarCases).toHaveLength(5);
    for (const c of state.similarCases) expect(c.labels).toHaveLength(14);
    const progress = h.seen.filter((e) => e.type === "job-progress");
    expect(progress.map((e) => (e.type === "job-progress" ? e.message : ""))).toContain("beam decode");
    expect(h.reports.audit(STUDY).map((e) => e.action)).toEqual(["draft.generated"]);
    // Opening again does not draft again.
    h.reports.open(STUDY);
    expect(engine.calls).toEqual([STUDY]);
    // Without an engine (e.g. the next start, while the pack loads) the finished draft keeps its record.
    h.setEngine(null);
    expect(h.reports.state(STUDY).job).toMatchObject({ state: "done", model: engine.model });
  });

  it("a sentence stays AI while its text equals the AI's; edited and inserted sentences are not AI", async () => {
    const h = track(withStudy(makeReportsHarness({ engine: new FixedReportTestEngine({ reportId: REPORT_ID }) })));
    const ai = (await openDrafted(h, STUDY)).draft!;
    const [first, ...rest] = splitSentences(ai.sections.findings).map((s) => s.text);
    const edited = { ...ai.sections, findings: [`${first} Mildly.`.replace(".", ""), ...rest].join(" ") };
    const saved = h.reports.save(STUDY, { sections: edited, baseVersion: ai.version, origin: "user" });
    const texts = aiTexts(saved.draft!.sections, saved.draft!.aiSpans);
    expect(texts).not.toContain(first);
    for (const s of rest) expect(texts).toContain(s);
    expect(saved.hasUserEdits).toBe(true);
    const inserted = h.reports.save(STUDY, {
      sections: { ...edited, findings: `${edited.findings} No acute bony abnormality.` },
      baseVersion: saved.draft!.version,
      origin: "insert",
    });
    expect(inserted.draft?.origin).toBe("insert");
    expect(aiTexts(inserted.draft!.sections, inserted.draft!.aiSpans)).not.toContain("No acute bony abnormality.");
  });

  it("merges a save from an older base: sections the editor left alone take the AI text that arrived meanwhile", async () => {
    const g = gate();
    const h = track(
      withStudy(makeReportsHarness({ engine: new FixedReportTestEngine({ reportId: REPORT_ID, gate: g.promise }) })),
    );
    h.reports.open(STUDY);
    g.open();
    await jobSettled(h, STUDY);
    // The editor never saw version 1 (base null) and only typed an indication.
    const saved = h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, indication: "Fever." },
      baseVersion: null,
      origin: "user",
    });
    expect(saved.draft?.sections.indication).toBe("Fever.");
    expect(saved.draft?.sections.findings).toBe(h.reports.versions(STUDY).at(-1)?.sections.findings);
    expect(saved.draft?.sections.findings.length).toBeGreaterThan(0);
  });

  it("keeps Findings typed while the AI was drafting, on top of the AI version", async () => {
    const g = gate();
    const h = track(
      withStudy(makeReportsHarness({ engine: new FixedReportTestEngine({ reportId: REPORT_ID, gate: g.promise }) })),
    );
    h.reports.open(STUDY);
    h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "My own findings." },
      baseVersion: null,
      origin: "user",
    });
    g.open();
    await jobSettled(h, STUDY);
    const versions = h.reports.versions(STUDY);
    expect(versions.map((v) => v.origin)).toEqual(["user", "ai", "user"]);
    expect(versions[0]?.sections.findings).toBe("My own findings.");
    expect(versions[0]?.sections.impression).toBe(versions[1]?.sections.impression);
    expect(versions[1]?.sections.findings).not.toBe("My own findings.");
  });

  it("regenerate asks before replacing the user's edits, then replaces Findings and Impression", async () => {
    const engine = new FixedReportTestEngine({ reportId: REPORT_ID });
    const h = track(withStudy(makeReportsHarness({ engine })));
    const ai = (await openDrafted(h, STUDY)).draft!;
    editDraft(h, STUDY, { indication: "Dyspnoea.", findings: "Edited by me." });
    expect(() => h.reports.regenerate(STUDY, { replaceUserEdits: false })).toThrow(/Confirm to replace them/);
    const running = h.reports.regenerate(STUDY, { replaceUserEdits: true });
    expect(running.job.state).toBe("running");
    await jobSettled(h, STUDY);
    const after = h.reports.state(STUDY);
    expect(after.draft).toMatchObject({ origin: "ai", version: 3 });
    expect(after.draft?.sections.findings).toBe(ai.sections.findings);
    expect(after.draft?.sections.indication).toBe("Dyspnoea.");
    expect(h.reports.audit(STUDY).map((e) => e.action)).toEqual([
      "draft.generated",
      "report.edited",
      "draft.regenerated",
    ]);
  });

  it("cancel stops the run (the engine sees the abort) and leaves the study new when it has no text", async () => {
    const engine = new FixedReportTestEngine({ reportId: REPORT_ID, gate: new Promise(() => {}) });
    const h = track(withStudy(makeReportsHarness({ engine })));
    h.reports.open(STUDY);
    const cancelled = h.reports.cancel(STUDY);
    expect(cancelled.job).toMatchObject({ state: "cancelled", message: "cancelled by the user" });
    expect(cancelled.status).toBe("new");
    await new Promise((r) => setImmediate(r));
    expect(engine.aborted).toEqual([STUDY]);
    // A user-cancelled study is not redrafted on the next open; Regenerate does it on demand.
    h.reports.open(STUDY);
    expect(engine.calls).toEqual([STUDY]);
  });

  it("a crash while drafting is recovered at the next start and the study is drafted again on open", async () => {
    const stuck = new FixedReportTestEngine({ reportId: REPORT_ID, gate: new Promise(() => {}) });
    const h = withStudy(makeReportsHarness({ engine: stuck }));
    h.reports.open(STUDY);
    expect(h.reports.state(STUDY).status).toBe("drafting");
    // Simulated crash: the process dies without closing the service; a new one opens the same file.
    const engine = new FixedReportTestEngine({ reportId: REPORT_ID });
    const after = track(h.restart({ engine, closeFirst: false }));
    const recovered = after.reports.state(STUDY);
    expect(recovered.status).toBe("new");
    expect(recovered.job).toMatchObject({ state: "failed" });
    expect(recovered.job.message).toMatch(/^interrupted/);
    expect((await openDrafted(after, STUDY)).draft?.origin).toBe("ai");
    h.db.close();
  });

  it("an engine failure is reported with its message, as a notice and in the job state", async () => {
    const failing = {
      model: { name: "broken", version: "0", executionProvider: "cpu" },
      generate: async () => {
        throw new Error("cannot decode image frontal.dcm: truncated pixel data");
      },
    };
    const h = track(withStudy(makeReportsHarness({ engine: failing })));
    const state = await openDrafted(h, STUDY);
    expect(state.job).toMatchObject({
      state: "failed",
      message: "cannot decode image frontal.dcm: truncated pixel data",
    });
    expect(state.status).toBe("new");
    expect(h.seen.some((e) => e.type === "notice" && e.level === "error" && e.message.includes("truncated"))).toBe(
      true,
    );
  });
});

describe("signing", () => {
  async function drafted(options: { retrieval?: SignedCaseSink | null } = {}) {
    const h = track(
      withStudy(
        makeReportsHarness({
          engine: new FixedReportTestEngine({ reportId: REPORT_ID }),
          retrieval: options.retrieval ?? null,
        }),
      ),
    );
    await openDrafted(h, STUDY);
    return h;
  }

  function recordingIndex() {
    const added: Array<Record<string, unknown>> = [];
    return {
      added,
      modelId: TEST_DOUBLE_EMBEDDING_MODEL,
      addCase: (e: unknown) => added.push(e as Record<string, unknown>),
      hasCase: (id: string) => added.some((e) => e.studyId === id),
      hasThumbnail: (id: string) => added.some((e) => e.studyId === id && e.thumbnail),
    };
  }

  it("signs only as the signed-in account: with no account, signing and addenda are refused", async () => {
    const h = await drafted();
    const noAccount = "no account: create the first radiologist account before signing";
    expect(() => h.reports.signer()).toThrow(noAccount);
    const version = h.reports.state(STUDY).draft!.version;
    expect(() => h.reports.sign(STUDY, { version, attestUntouchedAi: true })).toThrow(noAccount);
    await expect(
      h.reports.signWithCredential(STUDY, { version, attestUntouchedAi: true, credential: { password: "anything" } }),
    ).rejects.toThrow(noAccount);
    expect(h.reports.state(STUDY).signed).toBeNull();
    // The old free-text signer setting, if an older data folder has one, is not a signer.
    h.db.prepare("INSERT INTO settings (key, value) VALUES ('reports.signer', '\"Dr Typed Name\"')").run();
    expect(() => h.reports.sign(STUDY, { version, attestUntouchedAi: true })).toThrow(noAccount);
    const account = await signInRadiologist(h);
    expect(h.reports.signer()).toEqual({ name: "Dr Anna Smith", source: "account" });
    h.accounts.signOut();
    expect(() => h.reports.signer()).toThrow("no one is signed in: sign in before signing");
    expect(() => h.reports.sign(STUDY, { version, attestUntouchedAi: true }, account)).toThrow(/no one is signed in/);
    expect(h.reports.state(STUDY).signed).toBeNull();
  });

  it("locks the report, audits who and when, and adds the case with its embedding to the retrieval index", async () => {
    const index = recordingIndex();
    const h = await drafted({ retrieval: index });
    await signInRadiologist(h);
    const draft = h.reports.state(STUDY).draft!;
    const result = h.reports.sign(
      STUDY,
      { version: draft.version, attestUntouchedAi: true },
      h.accounts.session().account,
    );
    expect(result.state.status).toBe("signed");
    expect(result.state.signed).toMatchObject({ signedBy: "Dr Anna Smith", draftVersionId: draft.id });
    expect(result.state.signed?.text).toContain("FINDINGS:");
    expect(result.retrieval.indexed).toBe(true);
    expect(index.added).toHaveLength(1);
    const entry = index.added[0]!;
    expect(entry).toMatchObject({ studyId: STUDY, source: "signed", modelId: TEST_DOUBLE_EMBEDDING_MODEL });
    expect((entry.vector as Float32Array).length).toBe(64);
    expect(entry.report).toBe(draft.sections.findings);
    const audit = h.reports.audit(STUDY);
    const signed = audit.find((e) => e.action === "report.signed");
    expect(signed).toMatchObject({ actor: "Dr Anna Smith", details: { version: draft.version, aiAssisted: true } });
    expect(Date.parse(signed!.at)).not.toBeNaN();
    expect(audit.map((e) => e.action)).toContain("retrieval.case-added");
    // Locked: no more draft saves, no second signature, and the database itself refuses changes.
    expect(() =>
      h.reports.save(STUDY, { sections: draft.sections, baseVersion: draft.version, origin: "user" }),
    ).toThrow(/is locked; add an addendum instead/);
    expect(() =>
      h.reports.sign(STUDY, { version: draft.version, attestUntouchedAi: true }, h.accounts.session().account),
    ).toThrow(/locked/);
    expect(() => h.db.prepare("UPDATE signed_reports SET text = 'changed'").run()).toThrow(/locked/);
    expect(() => h.db.prepare("DELETE FROM signed_reports").run()).toThrow(/cannot be deleted/);
    // Later changes are addenda.
    const withAddendum = h.reports.addAddendum(
      STUDY,
      "Comparison with the outside film: unchanged.",
      h.accounts.session().account,
    );
    expect(withAddendum.addenda).toMatchObject([
      { text: "Comparison with the outside film: unchanged.", author: "Dr Anna Smith" },
    ]);
    expect(h.reports.audit(STUDY).map((e) => e.action)).toContain("report.addendum");
  });

  it("labels the signed case for the index with the clinical labeler when one is given", async () => {
    const index = recordingIndex();
    const h = await drafted({ retrieval: index });
    const labelled = h.restart({ engine: null });
    track(labelled);
    // Re-open with a labeler wired in, as createServices does.
    const { ReportsService } = await import("../../../src-main/services/reports/reports-service");
    const { labelReport } = await import("../../../src-main/services/language/clinical-labeler");
    const service = new ReportsService({
      db: labelled.db,
      events: labelled.events,
      engine: () => null,
      retrieval: index,
      labelReport: (t) => labelReport(t).labels,
      application: { name: "Radiology Draft", version: "0.1.0" },
      accounts: labelled.accounts,
    });
    const account = await signInRadiologist(labelled);
    const state = service.state(STUDY);
    const result = service.sign(STUDY, { version: state.draft!.version, attestUntouchedAi: true }, account);
    expect(result.retrieval.indexed).toBe(true);
    const labels = index.added[0]?.labels as Array<number | null>;
    expect(labels).toHaveLength(14);
    // The IU report says "A large hiatal hernia ... No pneumothorax or pleural effusion": negatives are labelled.
    expect(labels[9]).toBe(0);
    expect(labels[10]).toBe(0);
  });

  it("says why a case did not join the index: no engine embedding, or no index", async () => {
    const h = track(withStudy(makeReportsHarness()));
    await signInRadiologist(h);
    const saved = h.reports.save(STUDY, {
      sections: { ...EMPTY_SECTIONS, findings: "Lungs are clear.", impression: "Normal chest." },
      baseVersion: null,
      origin: "user",
    });
    const result = h.reports.sign(
      STUDY,
      { version: saved.draft!.version, attestUntouchedAi: true },
      h.accounts.session().account,
    );
    expect(result.retrieval).toEqual({
      indexed: false,
      message: "not added to the retrieval index: no model pack loaded, so there is no study embedding",
    });
    const noIndex = await drafted();
    await signInRadiologist(noIndex);
    const r2 = noIndex.reports.sign(
      STUDY,
      {
        version: noIndex.reports.state(STUDY).draft!.version,
        attestUntouchedAi: true,
      },
      noIndex.accounts.session().account,
    );
    expect(r2.retrieval).toEqual({
      indexed: false,
      message: "not added to the retrieval index: no retrieval index is open",
    });
  });

  it("signs only the version the user reviewed, and never an empty report or a running draft", async () => {
    const h = await drafted();
    await signInRadiologist(h);
    const v = h.reports.state(STUDY).draft!;
    editDraft(h, STUDY, { indication: "Chest pain." });
    expect(() => h.reports.sign(STUDY, { version: v.version }, h.accounts.session().account)).toThrow(
      /changed after you reviewed it/,
    );
    insertStudy(h.db, dicomStudy("study-2", "NIH_DX_chest_implicitLE.dcm"));
    h.reports.save("study-2", {
      sections: { ...EMPTY_SECTIONS, indication: "Cough." },
      baseVersion: null,
      origin: "user",
    });
    expect(() => h.reports.sign("study-2", { version: 1 }, h.accounts.session().account)).toThrow(/nothing to sign/);
    const g = track(
      withStudy(
        makeReportsHarness({ engine: new FixedReportTestEngine({ reportId: REPORT_ID, gate: new Promise(() => {}) }) }),
        "study-3",
      ),
    );
    await signInRadiologist(g);
    g.reports.open("study-3");
    expect(() => g.reports.sign("study-3", { version: 1 }, g.accounts.session().account)).toThrow(
      /still being written/,
    );
  });
});
