/**
 * The scope gate in the reports service, on real files: ../shared/data/dicom-nonchest/ and copies of the shared chest
 * DICOMs whose headers dcmtk's dcmodify changes at test time (MR, CT, US, NM headers around the real CR pixel data;
 * other body parts; descriptions and protocol names). A not-eligible study gets no draft job and no similar cases,
 * and can be reported by hand; the override is audited and printed in every export; an uncertain study drafts, and
 * signing it asks for a confirmation.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DraftEngine } from "../../../src-main/services/reports/draft-engine";
import { EMPTY_SECTIONS } from "../../../src-shared/report-types";
import { FixedReportTestEngine } from "../../support/fixed-report-test-engine";
import {
  dicomStudy,
  insertStudy,
  jobSettled,
  makeReportsHarness,
  SHARED_DICOM_DIR,
  signInRadiologist,
  type TestStudy,
} from "../../support/report-fixtures";
import { closedAfterEach } from "../../support/vitest-fixtures";
import { modifiedCopy } from "../imaging/derived-files";

const CHEST = path.join(SHARED_DICOM_DIR, "CR-MONO1-10-chest_explicitLE.dcm");
const HIP = path.resolve(SHARED_DICOM_DIR, "../dicom-nonchest/CR_hip_JPEGLossless.dcm");
const NIH_DX = path.join(SHARED_DICOM_DIR, "NIH_DX_chest_implicitLE.dcm");
const NIH_PNG = path.resolve(SHARED_DICOM_DIR, "../images/nih/00000001_000.png");
const REPORT_ID = "CXR2384_IM-0942";
const hasTool = (tool: string) => spawnSync(tool, ["--version"]).status !== null;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-scope-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const closeLater = closedAfterEach();

/** A reports harness with the radiologist signed in (the only signer, issue 18.1). */
async function harness(engine: DraftEngine | null = new FixedReportTestEngine({ reportId: REPORT_ID })) {
  const h = closeLater(makeReportsHarness({ engine }));
  await signInRadiologist(h);
  return h;
}

/** A study of one file (a real DICOM or a derived copy), frontal. */
function fileStudy(id: string, file: string): TestStudy {
  const base = dicomStudy(id);
  return {
    ...base,
    studyInstanceUid: `2.25.${Buffer.from(id).toString("hex").slice(0, 20)}`,
    images: [{ ...base.images![0]!, filePath: file }],
  };
}

const SOP = {
  MR: "1.2.840.10008.5.1.4.1.1.4",
  CT: "1.2.840.10008.5.1.4.1.1.2",
  US: "1.2.840.10008.5.1.4.1.1.6.1",
  NM: "1.2.840.10008.5.1.4.1.1.20",
};

/** Copies of the CR chest whose header says another body part: name, the attributes changed, the headline. */
const OTHER_BODY_PARTS: Array<[name: string, values: Record<string, string>, headline: string]> = [
  ["CR tibia", { "(0018,0015)": "EXTREMITY", "(0008,1030)": "TIBIA FIBULA 2 VIEWS" }, "CR of an extremity"],
  [
    "dental CR",
    { "(0018,0015)": "", "(0008,1030)": "INTRAORAL SURVEY TEETH" },
    'CR described as TEETH ("INTRAORAL SURVEY TEETH")',
  ],
  [
    "knee by series description",
    { "(0018,0015)": "", "(0008,103e)": "R KNEE AP" },
    'CR described as KNEE ("R KNEE AP")',
  ],
  [
    "hand by protocol name",
    { "(0018,0015)": "", "(0018,1030)": "HAND PA/OBL" },
    'CR described as HAND ("HAND PA/OBL")',
  ],
  ["DX skull", { "(0008,0060)": "DX", "(0018,0015)": "SKULL" }, "DX of the skull"],
  ["CR abdomen", { "(0018,0015)": "ABDOMEN" }, "CR of the abdomen"],
];

/** Derived not-eligible inputs: the file, and the words the pane must show. */
function notEligibleInputs(): Array<{ name: string; file: string; headline: string }> {
  const derive = (name: string, values: Record<string, string>) => modifiedCopy(dir, CHEST, `${name}.dcm`, values);
  return [
    { name: "real CR hip", file: HIP, headline: "CR of the hip" },
    ...(["MR", "CT", "US", "NM"] as const).map((m) => ({
      name: `${m} header around the CR chest's pixels`,
      file: derive(m, { "(0008,0060)": m, "(0008,0016)": SOP[m], "(0018,0015)": "" }),
      headline:
        m === "US"
          ? "Ultrasound (US) images: this model drafts chest radiographs only"
          : m === "NM"
            ? "Nuclear medicine (NM) images: this model drafts chest radiographs only"
            : `${m} images: this model drafts chest radiographs only`,
    })),
    ...OTHER_BODY_PARTS.map(([name, values, headline]) => ({
      name,
      file: derive(name.replaceAll(" ", "-"), values),
      headline,
    })),
  ];
}

describe.skipIf(!hasTool("dcmodify"))("scope gate in the reports service", () => {
  it("a not-eligible study gets no draft job and no similar cases; it is reported and signed by hand", async () => {
    const inputs = notEligibleInputs();
    const engine = new FixedReportTestEngine({ reportId: REPORT_ID });
    const h = await harness(engine);
    for (const [i, input] of inputs.entries()) insertStudy(h.db, fileStudy(`ne-${i}`, input.file));
    for (const [i, input] of inputs.entries()) {
      const state = h.reports.open(`ne-${i}`);
      expect(state.scope.outcome, input.name).toBe("not-eligible");
      expect(state.scope.headline, input.name).toBe(input.headline);
      expect(state.scope.draftAllowed).toBe(false);
      expect(state.job.state, input.name).toBe("idle");
      expect(state.similarCases).toEqual([]);
      expect(state.status).toBe("new");
      expect(() => h.reports.regenerate(`ne-${i}`, { replaceUserEdits: true })).toThrow(/no AI draft for this study/);
    }
    expect(engine.calls).toEqual([]);
    const draft = h.db.prepare("SELECT count(*) AS n FROM draft_jobs").get() as { n: number };
    expect(draft.n).toBe(0);

    // By hand: saved, signed without a scope confirmation (no AI text), and the export says why there is no AI.
    const saved = h.reports.save("ne-0", {
      sections: { ...EMPTY_SECTIONS, findings: "Normal right hip.", impression: "No fracture." },
      baseVersion: null,
      origin: "user",
    });
    const signed = h.reports.sign("ne-0", { version: saved.draft!.version }, h.accounts.session().account);
    expect(signed.state.signed?.signedBy).toBe("Dr Anna Smith");
    const audit = h.reports.audit("ne-0").find((e) => e.action === "report.signed");
    expect(audit?.details.scope).toMatchObject({
      outcome: "not-eligible",
      headline: "CR of the hip",
      confirmed: false,
    });
  });

  it("the user's override lets the AI draft; it is audited, signing asks for a confirmation, every export prints it", async () => {
    const [, mr] = notEligibleInputs();
    const h = await harness();
    insertStudy(h.db, fileStudy("mr", mr!.file));
    expect(h.reports.open("mr").job.state).toBe("idle");
    const state = h.reports.overrideScope("mr", { reason: "teaching case" });
    expect(state.job.state).toBe("running");
    await jobSettled(h, "mr");
    const after = h.reports.state("mr");
    expect(after.scope).toMatchObject({ outcome: "not-eligible", draftAllowed: true, signNeedsConfirmation: true });
    expect(after.scope.override).toMatchObject({ by: "Dr Anna Smith", reason: "teaching case" });
    expect(after.similarCases.length).toBeGreaterThan(0);
    const override = h.reports.audit("mr").find((e) => e.action === "scope.override");
    expect(override).toMatchObject({ actor: "Dr Anna Smith" });
    expect(override?.details).toMatchObject({ headline: "MR images: this model drafts chest radiographs only" });
    // The override survives a restart.
    const h2 = closeLater(h.restart({ engine: new FixedReportTestEngine({ reportId: REPORT_ID }) }));
    await signInRadiologist(h2);
    expect(h2.reports.state("mr").scope.override?.reason).toBe("teaching case");

    const version = h2.reports.state("mr").draft!.version;
    expect(() => h2.reports.sign("mr", { version }, h2.accounts.session().account)).toThrow(
      /The scope check was overridden \(MR images: .*\): confirm that the AI-assisted report applies/,
    );
    h2.reports.sign("mr", { version, confirmScope: true, attestUntouchedAi: true }, h2.accounts.session().account);
    const signedAudit = h2.reports.audit("mr").find((e) => e.action === "report.signed");
    expect(signedAudit?.details.scope).toMatchObject({ outcome: "not-eligible", confirmed: true });

    const note =
      /Scope override: the AI drafted although the study is not eligible \(MR images: this model drafts chest radiographs only\); overridden by Dr Anna Smith at \S+ \(teaching case\)\./;
    const text = Buffer.from((await h2.reports.export("mr", "text")).base64, "base64").toString("utf8");
    expect(text).toMatch(note);
    const fhir = JSON.parse(Buffer.from((await h2.reports.export("mr", "fhir")).base64, "base64").toString("utf8"));
    expect(Buffer.from(fhir.presentedForm[0].data, "base64").toString("utf8")).toMatch(note);
    const files = { pdf: path.join(dir, "mr.pdf"), sr: path.join(dir, "mr-sr.dcm") };
    fs.writeFileSync(files.pdf, Buffer.from((await h2.reports.export("mr", "pdf")).base64, "base64"));
    fs.writeFileSync(files.sr, Buffer.from((await h2.reports.export("mr", "dicom-sr")).base64, "base64"));
    if (hasTool("pdftotext")) {
      const pdf = execFileSync("pdftotext", [files.pdf, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
      expect(pdf).toMatch(/Scope override: the AI drafted although the study is not eligible \(MR images/);
      expect(pdf).toMatch(/\(teaching case\)/);
    }
    if (hasTool("dsrdump")) {
      const sr = execFileSync("dsrdump", ["+U8", "+Pl", files.sr], { encoding: "utf8" }).replace(/\s+/g, " ");
      expect(sr).toMatch(/Scope override: the AI drafted although the study is not eligible/);
    }
  });

  it("an eligible chest study is not asked about; override of an eligible study is refused", async () => {
    const h = await harness();
    insertStudy(h.db, fileStudy("chest", CHEST));
    const opened = h.reports.open("chest");
    expect(opened.scope).toMatchObject({ outcome: "eligible", headline: "Chest radiograph (CR, CHEST)" });
    expect(opened.job.state).toBe("running");
    await jobSettled(h, "chest");
    expect(() => h.reports.overrideScope("chest", { reason: "" })).toThrow(/nothing to override/);
    const version = h.reports.state("chest").draft!.version;
    h.reports.sign("chest", { version, attestUntouchedAi: true }, h.accounts.session().account);
    const text = Buffer.from((await h.reports.export("chest", "text")).base64, "base64").toString("utf8");
    expect(text).not.toMatch(/Scope (override|caution)|Not eligible/);
  });

  it("uncertain studies (a DX without body part, a PNG without metadata) draft under a caution; signing asks", async () => {
    const h = await harness();
    insertStudy(h.db, fileStudy("dx", NIH_DX));
    insertStudy(h.db, fileStudy("png", NIH_PNG));
    for (const [id, headline] of [
      ["dx", "DX without Body Part Examined, and no description names the chest"],
      ["png", "PNG image without DICOM metadata (00000001_000.png): modality and body part cannot be checked"],
    ] as const) {
      const opened = h.reports.open(id);
      expect(opened.scope).toMatchObject({ outcome: "uncertain", headline, draftAllowed: true });
      await jobSettled(h, id);
      const version = h.reports.state(id).draft!.version;
      expect(() => h.reports.sign(id, { version }, h.accounts.session().account)).toThrow(
        /The scope check is uncertain .*confirm/,
      );
      h.reports.sign(id, { version, confirmScope: true, attestUntouchedAi: true }, h.accounts.session().account);
    }
    const text = Buffer.from((await h.reports.export("dx", "text")).base64, "base64").toString("utf8");
    expect(text).toMatch(
      /Scope caution: the AI draft was made for a study the scope check was uncertain about \(DX without/,
    );
  });

  it("the model's score below the pack's threshold makes an eligible study uncertain after its draft", async () => {
    const base = new FixedReportTestEngine({ reportId: REPORT_ID });
    const unlike: DraftEngine = {
      model: base.model,
      generate: async (studyId, o) => ({
        ...(await base.generate(studyId, o)),
        ood: { score: 0.9832, threshold: 0.9959 },
      }),
    };
    const h = await harness(unlike);
    insertStudy(h.db, fileStudy("chest", CHEST));
    expect(h.reports.open("chest").scope.outcome).toBe("eligible");
    await jobSettled(h, "chest");
    const scope = h.reports.state("chest").scope;
    expect(scope).toMatchObject({ outcome: "uncertain", ood: { score: 0.9832, threshold: 0.9959 } });
    expect(scope.headline).toBe(
      "The image is unlike the training data (similarity to the nearest training study 0.9832, below the calibrated 0.9959)",
    );
    const generated = h.reports.audit("chest").find((e) => e.action === "draft.generated");
    expect(generated?.details.scope).toMatchObject({ outcome: "uncertain" });
  });

  it("an unreadable header is uncertain, with the reason", async () => {
    const h = await harness(null);
    const broken = path.join(dir, "broken.dcm");
    fs.writeFileSync(broken, fs.readFileSync(CHEST).subarray(0, 700));
    insertStudy(h.db, fileStudy("broken", broken));
    const scope = h.reports.state("broken").scope;
    expect(scope.outcome).toBe("uncertain");
    expect(scope.headline).toMatch(/^Broken\.dcm: the header cannot be read \(/);
  });
});

describe.skipIf(!hasTool("dcmodify"))("scope override needs the signed-in account", () => {
  it("is refused with no account, and while no one is signed in", async () => {
    const h = closeLater(makeReportsHarness({ engine: new FixedReportTestEngine({ reportId: REPORT_ID }) }));
    insertStudy(h.db, fileStudy("hip", HIP));
    expect(() => h.reports.overrideScope("hip", { reason: "" })).toThrow(
      "no account: create the first radiologist account before overriding the scope check",
    );
    await signInRadiologist(h);
    h.accounts.signOut();
    expect(() => h.reports.overrideScope("hip", { reason: "" })).toThrow(
      "no one is signed in: sign in before overriding the scope check",
    );
    expect(h.reports.audit("hip").find((e) => e.action === "scope.override")).toBeUndefined();
  });
});
