/**
 * Sign-off safeguards (issue 18.2) on real IU-Xray sentences (resources/iu_xray/report-labels.csv): placeholders,
 * pick-lists, template blanks, empty sections, laterality; and the reports service refusing to sign while any
 * remain, or while untouched AI sentences are not attested.
 */
import { describe, expect, it } from "vitest";
import { checkSignOff } from "../../../src-main/services/language/sign-off-checks";
import { EMPTY_SECTIONS, type ReportSections } from "../../../src-shared/report-types";
import { FixedReportTestEngine, iuSentence } from "../../support/fixed-report-test-engine";
import {
  dicomStudy,
  insertStudy,
  jobSettled,
  makeReportsHarness,
  signInRadiologist,
} from "../../support/report-fixtures";
import { closedAfterEach } from "../../support/vitest-fixtures";

const iu = iuSentence;

const sections = (findings: string, impression: string): ReportSections => ({
  ...EMPTY_SECTIONS,
  findings,
  impression,
});

describe("checkSignOff", () => {
  it("passes a clean real report", () => {
    const s = sections(
      iu("The heart is normal in size. The mediastinum is unremarkable. The lungs are clear."),
      iu("No acute cardiopulmonary abnormality."),
    );
    expect(checkSignOff(s)).toEqual([]);
  });

  it("finds IU-Xray's XXXX, with the cursor on the token and the sentence quoted", () => {
    const findings = `${iu("The heart is normal in size.")} ${iu("There are no XXXX of a pleural effusion.")}`;
    const issues = checkSignOff(sections(findings, iu("No acute cardiopulmonary abnormality.")));
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue).toMatchObject({ code: "placeholder", section: "findings" });
    expect(findings.slice(issue!.start, issue!.end)).toBe("XXXX");
    expect(issue!.message).toBe(
      'Findings: "There are no XXXX of a pleural effusion." holds the anonymisation token XXXX; replace it with the word it stands for or remove it',
    );
    // Lower case too (R2Gen-cleaned text, model drafts).
    expect(checkSignOff(sections("midline sternotomy xxxx .", "no acute disease."))[0]?.code).toBe("placeholder");
  });

  it("finds unfilled pick-lists and template blanks", () => {
    const findings = "There is a small [left|right] pleural effusion. The heart is ___ in size. Lines: [ ].";
    const issues = checkSignOff(sections(findings, iu("No acute cardiopulmonary abnormality.")));
    expect(issues.map((i) => [i.code, findings.slice(i.start, i.end)])).toEqual([
      ["pick-list", "[left|right]"],
      ["blank", "___"],
      ["blank", "[ ]"],
    ]);
    expect(issues[0]?.message).toContain('replace it with "left" or "right"');
  });

  it("refuses empty Findings or Impression, each by name", () => {
    const onlyFindings = checkSignOff(sections(iu("The lungs are clear."), "  "));
    expect(onlyFindings).toEqual([
      {
        code: "empty-section",
        section: "impression",
        start: 0,
        end: 0,
        message: "Impression is empty; write the impression before signing",
      },
    ]);
    expect(checkSignOff(sections("", "Normal chest.")).map((i) => i.section)).toEqual(["findings"]);
  });

  it("finds a left-sided finding called right-sided in the Impression", () => {
    const findings = iu("There is a moderate sized right pneumothorax.");
    const impression = "Left pneumothorax.";
    const issues = checkSignOff(sections(findings, impression));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: "laterality", section: "impression", start: 0, end: impression.length });
    expect(issues[0]?.message).toBe(
      'Laterality: Findings call the pneumothorax right-sided ("There is a moderate sized right pneumothorax."), Impression left-sided ("Left pneumothorax."); make the sides agree',
    );
    const effusion = checkSignOff(
      sections(iu("Minimal right basilar subsegmental atelectasis noted."), "Left basilar atelectasis."),
    );
    expect(effusion.map((i) => i.code)).toEqual(["laterality"]);
  });

  it("does not flag agreeing, bilateral, mixed or negated sides", () => {
    // Same side.
    expect(checkSignOff(sections(iu("There is a moderate sized right pneumothorax."), "Right pneumothorax."))).toEqual(
      [],
    );
    // Both sides named in Findings: either side in the Impression is consistent.
    expect(
      checkSignOff(
        sections(iu("There is moderate left pleural effusion and small right pleural effusion."), "Right effusion."),
      ),
    ).toEqual([]);
    // A negated finding on the other side is no contradiction.
    expect(
      checkSignOff(sections("Small left pleural effusion. No right pleural effusion.", "Left pleural effusion.")),
    ).toEqual([]);
    // Different observations on different sides.
    expect(
      checkSignOff(sections(iu("there is right basilar opacity."), "Left-sided pneumothorax is not present.")),
    ).toEqual([]);
  });
});

describe("reports service signing with safeguards", () => {
  const closeLater = closedAfterEach();
  const harness = async (engine?: FixedReportTestEngine) => {
    const h = closeLater(makeReportsHarness(engine ? { engine } : {}));
    insertStudy(h.db, dicomStudy("s1"));
    await signInRadiologist(h);
    return h;
  };

  it("refuses a placeholder with the fix in the message and the issue in the state, then signs the fixed text", async () => {
    const h = await harness();
    const bad = sections(iu("Inferior XXXX XXXX XXXX."), iu("No acute cardiopulmonary abnormality."));
    const state = h.reports.save("s1", { sections: bad, baseVersion: null, origin: "user" });
    expect(state.signOffIssues.map((i) => i.code)).toEqual(["placeholder", "placeholder", "placeholder"]);
    expect(() => h.reports.sign("s1", { version: state.draft!.version }, h.accounts.session().account)).toThrow(
      /3 things to fix before signing: Findings: "Inferior XXXX XXXX XXXX\." holds the anonymisation token XXXX/,
    );
    const fixed = h.reports.save("s1", {
      sections: { ...bad, findings: "Inferior sternotomy wires." },
      baseVersion: state.draft!.version,
      origin: "user",
    });
    expect(fixed.signOffIssues).toEqual([]);
    expect(
      h.reports.sign("s1", { version: fixed.draft!.version }, h.accounts.session().account).state.signed?.signedBy,
    ).toBe("Dr Anna Smith");
  });

  it("refuses an empty Impression and a laterality contradiction", async () => {
    const h = await harness();
    const a = h.reports.save("s1", {
      sections: sections(iu("There is a moderate sized right pneumothorax."), ""),
      baseVersion: null,
      origin: "user",
    });
    expect(() => h.reports.sign("s1", { version: a.draft!.version }, h.accounts.session().account)).toThrow(
      /Impression is empty/,
    );
    const b = h.reports.save("s1", {
      sections: sections(iu("There is a moderate sized right pneumothorax."), "Left pneumothorax."),
      baseVersion: a.draft!.version,
      origin: "user",
    });
    expect(() => h.reports.sign("s1", { version: b.draft!.version }, h.accounts.session().account)).toThrow(
      /Laterality: .*make the sides agree/,
    );
  });

  it("an untouched AI draft needs the attestation, which the audit log records", async () => {
    const h = await harness(new FixedReportTestEngine({ reportId: "CXR2384_IM-0942" }));
    h.reports.open("s1");
    await jobSettled(h, "s1");
    const state = h.reports.state("s1");
    expect(state.signOffIssues).toEqual([]);
    const untouched = state.draft!.aiSpans.length;
    expect(untouched).toBeGreaterThan(0);
    expect(() => h.reports.sign("s1", { version: state.draft!.version }, h.accounts.session().account)).toThrow(
      new RegExp(`${untouched} sentences the AI drafted are unchanged: attest that you reviewed them`),
    );
    h.reports.sign("s1", { version: state.draft!.version, attestUntouchedAi: true }, h.accounts.session().account);
    const signedEntry = h.reports.audit("s1").find((e) => e.action === "report.signed");
    expect(signedEntry?.details).toMatchObject({ untouchedAiSentences: untouched, untouchedAiAttested: true });
  });
});
