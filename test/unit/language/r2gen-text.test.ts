import { describe, expect, it } from "vitest";
import { loadAnnotationFile } from "../../../src-main/services/language/iu-xray-dataset";
import { cleanReportIuXray } from "../../../src-main/services/language/r2gen-cleaning";
import { buildR2GenVocabulary, R2GenTokenizer } from "../../../src-main/services/language/r2gen-tokenizer";

const annotation = loadAnnotationFile();
const trainReports = annotation.train.map((study) => study.report);

// Expected strings produced by R2Gen's Python clean_report_iu_xray (run on these exact inputs).
const PINNED: [string, string][] = [
  [
    "The heart size and pulmonary vascularity appear within normal limits. A large hiatal hernia is noted. The lungs are free of focal airspace disease. No pneumothorax or pleural effusion is seen. Degenerative changes are present in the spine.",
    "the heart size and pulmonary vascularity appear within normal limits . a large hiatal hernia is noted . the lungs are free of focal airspace disease . no pneumothorax or pleural effusion is seen . degenerative changes are present in the spine .",
  ],
  [
    "1. Cardiomegaly and/or pericardial effusion. 2. Right base opacity XXXX combination of pleural effusion and atelectasis/airspace disease. Cannot exclude elevation right hemidiaphragm. 3. Left lung relatively clear. 4. Limited exam due to underpenetrated technique related to large patient habitus. 5. No evidence of pneumothorax.",
    "cardiomegaly andor pericardial effusion . right base opacity xxxx combination of pleural effusion and atelectasisairspace disease . cannot exclude elevation right hemidiaphragm . left lung relatively clear . limited exam due to underpenetrated technique related to large patient habitus . no evidence of pneumothorax .",
  ],
  [
    "The lungs are clear bilaterally. Specifically, no evidence of focal consolidation, pneumothorax, or pleural effusion.. Cardio mediastinal silhouette is unremarkable. Visualized osseous structures of the thorax are without acute abnormality.",
    "the lungs are clear bilaterally . specifically no evidence of focal consolidation pneumothorax or pleural effusion . cardio mediastinal silhouette is unremarkable . visualized osseous structures of the thorax are without acute abnormality .",
  ],
  [
    "No focal lung consolidation. No pneumothorax or pleural effusion.Heart size and pulmonary vascularity are within normal limits.Minimal degenerative changes of the thoracic spine. The previously<BR>described XXXX deformity in the midthoracic spine is again seen. There is subcutaneous shunt catheter tubing along the anterior chest wall",
    "no focal lung consolidation . no pneumothorax or pleural effusionheart size and pulmonary vascularity are within normal limitsminimal degenerative changes of the thoracic spine . the previouslybrdescribed xxxx deformity in the midthoracic spine is again seen . there is subcutaneous shunt catheter tubing along the anterior chest wall .",
  ],
  [
    "The heart and mediastinal contours are stable. Aorta is calcified and tortuous, compatible with atherosclerotic disease. Since the prior study, there's been interval development of left lower lobe airspace disease. The right lung is clear.",
    "the heart and mediastinal contours are stable . aorta is calcified and tortuous compatible with atherosclerotic disease . since the prior study theres been interval development of left lower lobe airspace disease . the right lung is clear .",
  ],
  [
    "Frontal (on two cassettes) and lateral views of the chest with overlying external cardiac monitor leads show an unchanged cardiomediastinal silhouette. No XXXX focal airspace consolidation or pleural effusion.",
    "frontal on two cassettes and lateral views of the chest with overlying external cardiac monitor leads show an unchanged cardiomediastinal silhouette . no xxxx focal airspace consolidation or pleural effusion .",
  ],
  // Quirks: numbered lists, three '..' passes, the ':-[' range (drops <=>@ and keeps digits and '-').
  ["1. Heart normal. 2. Lungs clear.. 3. No effusion...", "heart normal . lungs clear . no effusion ."],
  ["A (b) <c> = d @ e; f: g! h? [i] {j} k_l m+n 3-4 x/y \\z 'q' \"r\"", "a b c  d  e f g h i j kl mn 3-4 xy z q r ."],
  // Empty sentences are kept (R2Gen's `!= []` filter never drops a string).
  ["", " ."],
  [". .", " .  ."],
  ["T12-L1. C'mon 2. x 5. y", "t12-lcmon . x . y ."],
];

describe("cleanReportIuXray (R2Gen clean_report_iu_xray)", () => {
  it.each(PINNED)("cleans %j exactly as R2Gen", (raw, expected) => {
    expect(cleanReportIuXray(raw)).toBe(expected);
  });
});

describe("R2Gen vocabulary and tokenizer", () => {
  const tokenizer = R2GenTokenizer.fromTrainReports(trainReports);

  it("has R2Gen's 760 entries for the IU-Xray train split (threshold 3, <unk> included)", () => {
    const vocabulary = buildR2GenVocabulary(trainReports);
    expect(vocabulary).toHaveLength(760);
    expect(tokenizer.vocabularySize).toBe(760);
    expect(vocabulary).toContain("<unk>");
    expect([...vocabulary].sort()).toEqual(vocabulary);
    expect(tokenizer.idx2token[1]).toBe(".");
    expect(tokenizer.idOf("<unk>")).toBe(vocabulary.indexOf("<unk>") + 1);
  });

  it("counts only the train split", () => {
    const withTest = buildR2GenVocabulary([...trainReports, ...annotation.test.map((s) => s.report)]);
    expect(withTest.length).toBeGreaterThan(760);
  });

  it("encodes as [0] + ids + [0], unknown words as <unk>, and cuts to 60", () => {
    const ids = tokenizer.encode("Heart normal. Zzzunknownword lungs.");
    expect(ids[0]).toBe(0);
    expect(ids.at(-1)).toBe(0);
    expect(ids.slice(1, -1).map((id) => tokenizer.idx2token[id])).toEqual([
      "heart",
      "normal",
      ".",
      "<unk>",
      "lungs",
      ".",
    ]);
    const long = annotation.test.find((study) => study.id === "CXR502_IM-2120")!;
    expect(tokenizer.encodeUntruncated(long.report).length).toBeGreaterThan(60);
    const cut = tokenizer.encode(long.report);
    expect(cut).toHaveLength(60);
    expect(cut[0]).toBe(0);
    expect(cut[59]).not.toBe(0);
  });

  it("decodes up to the first 0, as R2Gen's decode", () => {
    const ids = tokenizer.encode("The lungs are clear.");
    expect(tokenizer.decode(ids.slice(1))).toBe("the lungs are clear .");
    expect(tokenizer.decode([tokenizer.idOf("lungs"), 0, tokenizer.idOf("heart")])).toBe("lungs");
    expect(tokenizer.decode([0, tokenizer.idOf("lungs")])).toBe("");
    expect(() => tokenizer.decode([99999])).toThrow(/outside the vocabulary/);
  });
});
