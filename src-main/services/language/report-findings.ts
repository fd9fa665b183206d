/**
 * From a study's report (CheXpert labels + report text) to visible findings: a list of finding kinds with their
 * grade (positive = clearly visible, uncertain = subtle) and the attributes the report states (side, lobe, zone,
 * severity, size, count). Negative and unmentioned observations produce nothing.
 *
 * One mapping, two users: the synthetic renderer (tools/synth) draws what it returns, so the diagnosis branch learns
 * its finding kinds, and the finding review before signing (../reports/finding-review.ts) reads a draft's sentences
 * with it. It lives in the product because the product runs it; tools/synth imports it, never the other way round.
 *
 * The RenderSpec deliberately holds only enumerated attributes: no report words, no label values of negated
 * observations. The image is a function of (study id → patient variation) and RenderSpec.findings alone.
 */
import type { LabelValue, ObservationName as Observation } from "./observations";
import {
  isPlural,
  type Lobe,
  lobesOf,
  type Mention,
  type Position,
  positionOf,
  ReportText,
  ribNumberOf,
  type Severity,
  type Side,
  severityOf,
  sideOf,
  sizeCmOf,
  type Zone,
  zonesOf,
} from "./report-mentions";

/** What the findings are read from: a study's id, report text and CheXpert labels (tools/synth's IuStudy is one). */
export interface ReportedStudy {
  readonly id: string;
  readonly report: string;
  readonly labels: Readonly<Record<Observation, LabelValue>>;
}

export type Certainty = "positive" | "uncertain";

export const LABEL_FINDING_KINDS = [
  "cardiomegaly",
  "widened-mediastinum",
  "lung-nodule",
  "lung-mass",
  "airspace-opacity",
  "interstitial-opacity",
  "scarring",
  "edema",
  "consolidation",
  "pneumonia",
  "atelectasis",
  "pneumothorax",
  "pleural-effusion",
  "pleural-thickening",
  "rib-fracture",
  "clavicle-fracture",
  "vertebral-compression",
  "humerus-fracture",
] as const;

export const DEVICE_KINDS = [
  "sternotomy-wires",
  "pacemaker",
  "central-line",
  "endotracheal-tube",
  "tracheostomy-tube",
  "enteric-tube",
  "chest-tube",
  "surgical-clips",
  "coronary-stent",
  "valve-prosthesis",
  "spinal-hardware",
  "shoulder-hardware",
] as const;

export const TEXT_FINDING_KINDS = [
  "calcified-granuloma",
  "calcified-lymph-nodes",
  "degenerative-spine",
  "hyperinflation",
  "low-lung-volumes",
  "hiatal-hernia",
  "scoliosis",
  "kyphosis",
  "tortuous-aorta",
  "aortic-calcification",
  "elevated-hemidiaphragm",
  "diaphragm-eventration",
  "hilar-enlargement",
  "osteopenia",
] as const;

export type LabelFindingKind = (typeof LABEL_FINDING_KINDS)[number];
export type DeviceKind = (typeof DEVICE_KINDS)[number];
export type TextFindingKind = (typeof TEXT_FINDING_KINDS)[number];
export type FindingKind = LabelFindingKind | DeviceKind | TextFindingKind;

export interface FindingSpec {
  kind: FindingKind;
  certainty: Certainty;
  /** Where the finding came from: a CheXpert observation, or the report text for findings without a label. */
  source: Observation | "report text";
  side?: Side;
  lobes?: Lobe[];
  zones?: Zone[];
  position?: Position;
  severity?: Severity;
  count?: number;
  sizeCm?: number;
  ribNumber?: number;
  /** Healed (callus) rather than acute, for fractures. */
  healed?: boolean;
  /** Kind-specific form: "linear" | "lobar" atelectasis, "interstitial" | "alveolar" edema, clip site, ... */
  variant?: string;
}

export interface RenderSpec {
  id: string;
  findings: FindingSpec[];
}

export interface SuppressedLabel {
  observation: Observation;
  value: LabelValue;
  reason: string;
}

export interface StudyFindings {
  spec: RenderSpec;
  /** For people (contact sheet captions, debugging); never passed to the renderer. */
  evidence: Array<{ kind: FindingKind; text: string }>;
  /** Positive/uncertain labels not rendered because every mention in the report is negated (labeler errors). */
  suppressed: SuppressedLabel[];
}

// ---------------------------------------------------------------------------------------------------------------
// Term patterns
// ---------------------------------------------------------------------------------------------------------------

const T = {
  cardiac:
    /\b(?:cardiomegaly|cardiac enlargement|enlarged (?:heart|cardiac\w*)|heart(?: size)?|cardiac (?:silhouette|size|contours?)|cardiomediastinal (?:silhouette|contours?))\b/,
  enlargement:
    /\b(?:cardiomegaly|cardiac enlargement|enlarg\w*|borderline|upper limits? of normal|upper normal|top(?:-| )normal|prominen\w*|large|increased)\b/,
  mediastinum:
    /\b(?:mediastin\w*|cardiomediastinal|superior mediastin\w*|paratracheal|aortic knob|mediastinal widening|widen\w*)\b/,
  lesion:
    /\b(?:nodul\w*|mass(?:es)?|mass-?like|masslike|lesions?|granulom\w*|neoplasm\w*|tumou?r\w*|carcinoma|malignan\w*|cavit\w*|metasta\w*)\b/,
  mass: /\b(?:mass(?:es)?|mass-?like|masslike|tumou?r\w*|neoplasm\w*|carcinoma|malignan\w*)\b/,
  calcifiedNodule: /\b(?:calcifi\w*|calcific|granulom\w*)/,
  opacity:
    /\b(?:opacit\w*|densit\w*|infiltrat\w*|air ?space (?:disease|opacit\w*)|scar\w*|fibros\w*|fibrotic|interstitial\w*|reticul\w*|haz\w*|streak\w*|strand\w*|airspace)\b/,
  scar: /\b(?:scar\w*|fibros\w*|fibrotic|linear|streaky|strand\w*)\b/,
  interstitial: /\b(?:interstitial\w*|reticul\w*|fibros\w*|fibrotic)\b/,
  edema:
    /\b(?:edema|oedema|(?:vascular|venous) congestion|congestive|chf|fluid overload|volume overload|kerley|cephalization|interstitial prominence)\b/,
  alveolarEdema: /\b(?:alveolar|airspace|air space|bat|butterfly|frank|florid)\b/,
  consolidation: /\b(?:consolidat\w*|air ?space (?:disease|opacit\w*)|infiltrat\w*|opacit\w*)\b/,
  pneumonia:
    /\b(?:pneumonia\w*|pneumonitis|infection\w*|infectious|infiltrat\w*|consolidat\w*|opacit\w*|air ?space disease)\b/,
  atelectasis: /\b(?:atelecta\w*|collapse\w*|volume loss)\b/,
  lobarAtelectasis: /\b(?:collapse\w*|volume loss|lobar|segmental atelecta\w*)\b/,
  pneumothorax: /\b(?:pneumothora\w*|hydropneumothora\w*)\b/,
  effusion: /\b(?:effusions?|pleural fluid|blunt\w*|meniscus|hydropneumothora\w*)\b/,
  pleuralOther:
    /\b(?:pleural thickening|thickening|pleural plaques?|plaques?|fibrothorax|apical caps?|pleural scar\w*|pleural calcification\w*|pleural-parenchymal)\b/,
  plaque: /\b(?:plaques?|calcifi\w*)\b/,
  fracture: /\b(?:fractur\w*|fx|deformit\w*|wedg\w*|compression)\b/,
  historical:
    /\b(?:prior|previous|old|history|healed|granulomatous|sequela\w*|histoplasm\w*|tuberculo\w*|residua\w*)\b/,
  healed: /\b(?:old|healed|healing|remote|chronic|callus|prior|previous|age-indeterminate)\b/,
  clavicle: /\bclavic\w*\b/,
  vertebral: /\b(?:vertebra\w*|wedg\w*|compression|endplate|spine|spinal|t\d{1,2}|l\d)\b/,
  humerus: /\b(?:humer\w*|shoulder)\b/,
  granuloma: /\b(?:granulom\w*|calcified (?:nodul\w*|densit\w*|foc\w*))\b/,
  granulomatousDisease: /\bgranulomatous\b/,
  calcifiedNodes:
    /\b(?:calcified (?:\w+ ){0,2}(?:lymph|nodes?)|(?:lymph|nodes?|hilar|mediastinal)\s+calcifications?|granulomatous disease)\b/,
  degenerative: /\b(?:degenerat\w*|osteophyt\w*|spondylo\w*|djd|dish|spurring|spurs?|endplate (?:sclerosis|changes))\b/,
  notSpine: /\b(?:shoulders?|acromioclavicular|ac joints?|glenohumeral|hips?|knees?|sternoclavicular)\b/,
  spine: /\b(?:spine|spinal|vertebra\w*|thoracic|lumbar|t-spine|endplate|disc|spondyl\w*|thoracolumbar)\b/,
  hyperinflation:
    /\b(?:hyperinfla\w*|hyperexpan\w*|hyperaera\w*|overinfla\w*|over-inflat\w*|hyperlucen\w*|emphysem\w*|copd|chronic obstructive|flatten\w*|bullae|bullous|blebs?)\b/,
  lowVolumes:
    /\b(?:low (?:lung )?volumes?|hypoinfla\w*|hypoexpan\w*|poor(?:ly)? (?:inspiration|inspiratory|inflated|expanded)|shallow inspiration|low inspiratory|bronchovascular crowding|decreased lung volumes?|hypoventilat\w*|underinfla\w*)\b/,
  hiatal: /\b(?:hiatal|hiatus) hernia\w*|\bhiatal\b/,
  scoliosis: /\b(?:scolio\w*|dextroscolio\w*|levoscolio\w*|dextrocurvature|levocurvature|dextroconvex|levoconvex)\b/,
  kyphosis: /\b(?:kyphos\w*|kyphotic)\b/,
  tortuous:
    /\b(?:tortu\w*|ectatic|ectasia|unfold\w*|dilat\w* (?:thoracic )?aort\w*|aort\w* (?:is |appears )?(?:dilated|enlarged|prominent)|aortic (?:dilatation|enlargement|prominence))\b/,
  aorticCalcification:
    /\b(?:atherosclero\w*|atheromatous|(?:aort\w*|aortic knob|aortic arch)\W+(?:\w+\W+){0,4}?calcifi\w*|calcifi\w*\W+(?:\w+\W+){0,4}?aort\w*)/,
  elevatedDiaphragm:
    /\b(?:elevat\w* (?:of )?(?:the )?(?:right |left )?(?:hemi-?)?diaphragm\w*|(?:hemi-?)?diaphragm\w* (?:is |are |remains |appears )?(?:\w+ )?elevat\w*)/,
  eventration: /\beventration\b/,
  hilar:
    /\b(?:(?:hilar|hila|hilum) (?:adenopathy|lymphadenopathy|enlargement|prominence|fullness|masses?)|(?:prominent|enlarged|bulky|full) (?:\w+ )?(?:hila|hilar|hilum|pulmonary arter\w*)|adenopathy|lymphadenopathy)\b/,
  osteopenia: /\b(?:osteopeni\w*|osteopenic|demineraliz\w*|osteoporo\w*|osteoporotic)\b/,
  // Devices
  sternotomy: /\b(?:sternotomy|sternal (?:wires?|sutures?)|cabg|coronary (?:artery )?bypass|bypass graft\w*)\b/,
  pacemaker:
    /\b(?:pacemaker\w*|pacer|defibrillator|aicd|icd|cardiac (?:device|generator|conduction device)|electronic device|pacing|(?:pacer|pacemaker|cardiac) leads?|biventricular)\b/,
  centralLine:
    /\b(?:central (?:venous )?(?:line|catheter)s?|cvc|picc\w*|port-?a-?cath|(?:chest|venous|power) port|mediport|subclavian (?:line|catheter|central)|(?:internal jugular|ij) (?:line|catheter|central)|(?:hemo)?dialysis catheter|swan|catheter)\b/,
  endotracheal: /\b(?:endotracheal|et tube|ett)\b/,
  tracheostomy: /\b(?:tracheostomy|trach tube|tracheotomy)\b/,
  enteric: /\b(?:nasogastric|ng tube|feeding tube|dobhoff|enteric tube|orogastric|og tube|gastric tube)\b/,
  chestTube: /\b(?:chest tubes?|pleural (?:catheter|drain\w*|tube)|thoracostomy|pigtail)\b/,
  clips: /\b(?:clips?|staples?|surgical sutures?)\b/,
  stent: /\bstents?\b/,
  valve:
    /\b(?:valve (?:replacement|prosthes\w*)|prosthetic (?:\w+ )?valve|(?:mitral|aortic|pulmonic|tricuspid) valve (?:replacement|prosthes\w*|repair)|avr|mvr|annuloplasty)\b/,
  spinalHardware:
    /\b(?:(?:spinal|cervical|thoracic|lumbar|anterior|posterior) (?:\w+ ){0,2}fusion|fusion hardware|pedicle screws?|spinal (?:rods?|hardware)|harrington|kyphoplasty|vertebroplasty|acdf)\b/,
  shoulderHardware:
    /\b(?:(?:shoulder|humer\w*) (?:arthroplasty|prosthes\w*|hardware|replacement|fixation)|arthroplasty|screws? in the (?:right|left) shoulder|(?:humeral|shoulder) (?:screw|plate|rod)s?|fixation of the (?:right |left )?humer\w*)\b/,
};

/** Anything that names a finding (used to stop location-only segments from attaching across findings). */
const ANY_FINDING = new RegExp(
  [
    T.cardiac,
    T.lesion,
    T.opacity,
    T.edema,
    T.consolidation,
    T.pneumonia,
    T.atelectasis,
    T.pneumothorax,
    T.effusion,
    T.pleuralOther,
    T.fracture,
    T.degenerative,
    T.hyperinflation,
    T.hiatal,
    T.scoliosis,
    T.tortuous,
    T.clips,
    T.sternotomy,
    T.pacemaker,
    T.centralLine,
  ]
    .map((r) => r.source)
    .join("|"),
  "i",
);

// ---------------------------------------------------------------------------------------------------------------

function certaintyOf(value: LabelValue): Certainty | null {
  if (value === 1) return "positive";
  if (value === -1) return "uncertain";
  return null;
}

interface Attributes {
  side?: Side;
  lobes?: Lobe[];
  zones?: Zone[];
  position?: Position;
  severity?: Severity;
  sizeCm?: number;
}

function unionLocation(mentions: Mention[]): Attributes {
  const sides = new Set<Side>();
  const lobes: Lobe[] = [];
  const zones: Zone[] = [];
  let position: Position | undefined;
  let severity: Severity | undefined;
  let sizeCm: number | undefined;
  const rank: Record<Severity, number> = { mild: 1, moderate: 2, marked: 3 };
  for (const m of mentions) {
    const ctx = m.context;
    const side = sideOf(ctx) ?? (lobesOf(ctx).length === 0 ? sentenceSide(m.sentence) : undefined);
    if (side) sides.add(side);
    for (const lobe of lobesOf(ctx)) if (!lobes.includes(lobe)) lobes.push(lobe);
    for (const zone of zonesOf(ctx)) if (!zones.includes(zone)) zones.push(zone);
    position ??= positionOf(ctx);
    const sev = severityOf(ctx);
    if (sev && (!severity || rank[sev] > rank[severity])) severity = sev;
    const size = sizeCmOf(ctx);
    if (size !== undefined) sizeCm = Math.max(sizeCm ?? 0, size);
  }
  for (const lobe of lobes) sides.add(lobe.startsWith("R") ? "right" : "left");
  let side: Side | undefined;
  if (sides.has("bilateral") || (sides.has("left") && sides.has("right"))) side = "bilateral";
  else if (sides.has("left")) side = "left";
  else if (sides.has("right")) side = "right";
  const out: Attributes = {};
  if (side) out.side = side;
  if (lobes.length) out.lobes = lobes;
  if (zones.length) out.zones = zones;
  if (position) out.position = position;
  if (severity) out.severity = severity;
  if (sizeCm !== undefined) out.sizeCm = Math.round(sizeCm * 10) / 10;
  return out;
}

/** The side named by the sentence when it names only one. */
function sentenceSide(sentence: string): Side | undefined {
  const side = sideOf(sentence);
  return side === "bilateral" ? undefined : side;
}

function evidenceText(mentions: Mention[]): string {
  return mentions
    .map((m) => m.sentence)
    .filter((s, i, all) => all.indexOf(s) === i)
    .join(" ");
}

export class FindingBuilder {
  readonly text: ReportText;
  readonly findings: FindingSpec[] = [];
  readonly evidence: Array<{ kind: FindingKind; text: string }> = [];
  readonly suppressed: SuppressedLabel[] = [];

  constructor(readonly study: ReportedStudy) {
    this.text = new ReportText(study.report, ANY_FINDING);
  }

  has(kind: FindingKind): boolean {
    return this.findings.some((f) => f.kind === kind);
  }

  add(spec: FindingSpec, mentions: Mention[]): void {
    this.findings.push(spec);
    this.evidence.push({ kind: spec.kind, text: evidenceText(mentions) });
  }

  /**
   * Mentions of a labelled observation. When the label is positive/uncertain but every mention is negated, the
   * label contradicts the report (a CheXpert-labeler error); the finding is then not rendered.
   */
  labelMentions(
    observation: Observation,
    pattern: RegExp,
    checkContradiction = true,
  ): { affirmed: Mention[]; ok: boolean } {
    const all = this.text.mentions(pattern);
    const affirmed = all.filter((m) => !m.negated);
    if (checkContradiction && all.length > 0 && affirmed.length === 0) {
      this.suppressed.push({
        observation,
        value: this.study.labels[observation],
        reason: "every mention in the report is negated",
      });
      return { affirmed, ok: false };
    }
    return { affirmed, ok: true };
  }
}

function withAttributes(base: FindingSpec, attrs: Attributes): FindingSpec {
  const spec: FindingSpec = { ...base };
  if (attrs.side) spec.side = attrs.side;
  if (attrs.lobes) spec.lobes = attrs.lobes;
  if (attrs.zones) spec.zones = attrs.zones;
  if (attrs.position) spec.position = attrs.position;
  if (attrs.severity) spec.severity = attrs.severity;
  if (attrs.sizeCm !== undefined) spec.sizeCm = attrs.sizeCm;
  return spec;
}

function matching(mentions: Mention[], pattern: RegExp): Mention[] {
  const re = new RegExp(pattern.source, "i");
  return mentions.filter((m) => re.test(m.term) || re.test(m.context));
}

/** A finding at the side, lobes, zones, position, severity and size its mentions state. */
function withLocation(base: FindingSpec, mentions: Mention[]): FindingSpec {
  return withAttributes(base, unionLocation(mentions));
}

/** A finding drawn without a side, with the severity its mentions state (when they state one). */
function withSeverity(base: FindingSpec, mentions: Mention[]): FindingSpec {
  const { severity } = unionLocation(mentions);
  return severity ? { ...base, severity } : { ...base };
}

/** The mentions; when none of them names a side or lobe, with the report's other affirmed mentions of `pattern`. */
function locatedMentions(b: FindingBuilder, affirmed: Mention[], pattern: RegExp): Mention[] {
  if (affirmed.some((m) => sideOf(m.context) || lobesOf(m.context).length)) return affirmed;
  return affirmed.concat(b.text.affirmed(pattern));
}

// ---------------------------------------------------------------------------------------------------------------
// Label findings
// ---------------------------------------------------------------------------------------------------------------

function addLabelFindings(b: FindingBuilder): void {
  const labels = b.study.labels;

  const cardio = certaintyOf(labels.Cardiomegaly);
  if (cardio) {
    // The labels call many "heart size ... within normal limits" reports positive; render only what the text allows.
    const enlarged = b.text
      .affirmed(T.enlargement)
      .filter(
        (m) =>
          new RegExp(T.cardiac.source, "i").test(m.sentence) &&
          !/\b(?:hila|hilar|hilum|aort\w*|arter\w*|lymph|nodes?)\b/i.test(m.context),
      );
    const normal = b.text.mentions(T.cardiac, { normalMeansAbsent: true });
    if (enlarged.length === 0 && normal.length > 0 && normal.every((m) => m.negated)) {
      b.suppressed.push({
        observation: "Cardiomegaly",
        value: labels.Cardiomegaly,
        reason: "the report calls the heart normal",
      });
    } else {
      b.add(withSeverity({ kind: "cardiomegaly", certainty: cardio, source: "Cardiomegaly" }, enlarged), enlarged);
    }
  }

  const ecm = certaintyOf(labels["Enlarged Cardiomediastinum"]);
  if (ecm) {
    const all = b.text.mentions(T.mediastinum, { normalMeansAbsent: true });
    const mentions = all.filter((m) => !m.negated);
    if (all.length > 0 && mentions.length === 0) {
      b.suppressed.push({
        observation: "Enlarged Cardiomediastinum",
        value: labels["Enlarged Cardiomediastinum"],
        reason: "the report calls the mediastinum normal",
      });
    } else {
      const spec: FindingSpec = { kind: "widened-mediastinum", certainty: ecm, source: "Enlarged Cardiomediastinum" };
      b.add(withSeverity(spec, mentions), mentions);
    }
  }

  const lesion = certaintyOf(labels["Lung Lesion"]);
  if (lesion) {
    const { affirmed, ok } = b.labelMentions("Lung Lesion", T.lesion);
    if (ok) {
      const masses = matching(affirmed, T.mass);
      const calcifiedOnly =
        affirmed.length > 0 && affirmed.every((m) => new RegExp(T.calcifiedNodule.source, "i").test(m.context));
      if (calcifiedOnly) {
        // Rendered by the calcified-granuloma text finding (added below from the same words).
      } else if (masses.length > 0) {
        b.add(withLocation({ kind: "lung-mass", certainty: lesion, source: "Lung Lesion", count: 1 }, masses), masses);
      } else {
        const nodules = affirmed.filter((m) => !new RegExp(T.calcifiedNodule.source, "i").test(m.context));
        const plural = nodules.some((m) => isPlural(m.context));
        b.add(
          withLocation(
            { kind: "lung-nodule", certainty: lesion, source: "Lung Lesion", count: plural ? 3 : 1 },
            nodules,
          ),
          nodules,
        );
      }
    }
  }

  const opacity = certaintyOf(labels["Lung Opacity"]);
  if (opacity) {
    const { affirmed, ok } = b.labelMentions("Lung Opacity", T.opacity, false);
    if (ok) {
      const scars = matching(affirmed, T.scar);
      const interstitial = matching(affirmed, T.interstitial);
      const airspace = affirmed.filter((m) => !scars.includes(m) && !interstitial.includes(m));
      if (scars.length > 0) {
        b.add(withLocation({ kind: "scarring", certainty: opacity, source: "Lung Opacity" }, scars), scars);
      }
      if (interstitial.length > 0 && !scars.some((m) => interstitial.includes(m))) {
        b.add(
          withLocation({ kind: "interstitial-opacity", certainty: opacity, source: "Lung Opacity" }, interstitial),
          interstitial,
        );
      }
      if (airspace.length > 0 || (scars.length === 0 && interstitial.length === 0)) {
        b.add(
          withLocation({ kind: "airspace-opacity", certainty: opacity, source: "Lung Opacity" }, airspace),
          airspace,
        );
      }
    }
  }

  const edema = certaintyOf(labels.Edema);
  if (edema) {
    const { affirmed, ok } = b.labelMentions("Edema", T.edema);
    if (ok) {
      const alveolar = affirmed.some((m) => new RegExp(T.alveolarEdema.source, "i").test(m.context));
      const variant = alveolar || unionLocation(affirmed).severity === "marked" ? "alveolar" : "interstitial";
      b.add(withSeverity({ kind: "edema", certainty: edema, source: "Edema", variant }, affirmed), affirmed);
    }
  }

  const consolidation = certaintyOf(labels.Consolidation);
  if (consolidation) {
    const { affirmed, ok } = b.labelMentions("Consolidation", /\b(?:consolidat\w*)\b/);
    if (ok) {
      const located = locatedMentions(b, affirmed, T.consolidation);
      b.add(
        withLocation({ kind: "consolidation", certainty: consolidation, source: "Consolidation" }, located),
        located,
      );
    }
  }

  const pneumonia = certaintyOf(labels.Pneumonia);
  if (pneumonia) {
    const { affirmed: stated, ok } = b.labelMentions(
      "Pneumonia",
      /\b(?:pneumonia\w*|pneumonitis|infection\w*|infectious)\b/,
    );
    // "sequela of prior granulomatous infection" is not a current pneumonia.
    const affirmed = stated.filter((m) => !new RegExp(T.historical.source, "i").test(m.context));
    if (ok && !(stated.length > 0 && affirmed.length === 0)) {
      const located = locatedMentions(b, affirmed, T.pneumonia);
      b.add(withLocation({ kind: "pneumonia", certainty: pneumonia, source: "Pneumonia" }, located), located);
    }
  }

  const atelectasis = certaintyOf(labels.Atelectasis);
  if (atelectasis) {
    const { affirmed, ok } = b.labelMentions("Atelectasis", T.atelectasis);
    if (ok) {
      const lobar = affirmed.some((m) => new RegExp(T.lobarAtelectasis.source, "i").test(m.context));
      b.add(
        withLocation(
          { kind: "atelectasis", certainty: atelectasis, source: "Atelectasis", variant: lobar ? "lobar" : "linear" },
          affirmed,
        ),
        affirmed,
      );
    }
  }

  const pneumothorax = certaintyOf(labels.Pneumothorax);
  if (pneumothorax) {
    const { affirmed, ok } = b.labelMentions("Pneumothorax", T.pneumothorax);
    if (ok) {
      const attrs = unionLocation(affirmed);
      if (attrs.sizeCm !== undefined && !attrs.severity) {
        attrs.severity = attrs.sizeCm < 2 ? "mild" : attrs.sizeCm < 4 ? "moderate" : "marked";
      }
      if (affirmed.some((m) => /\b(?:complete collapse|100%|tension)\b/i.test(m.sentence))) attrs.severity = "marked";
      b.add(withAttributes({ kind: "pneumothorax", certainty: pneumothorax, source: "Pneumothorax" }, attrs), affirmed);
    }
  }

  const effusion = certaintyOf(labels["Pleural Effusion"]);
  if (effusion) {
    const { affirmed, ok } = b.labelMentions("Pleural Effusion", T.effusion);
    if (ok) {
      const attrs = unionLocation(affirmed);
      if (!attrs.side && affirmed.some((m) => /\beffusions\b/i.test(m.term))) attrs.side = "bilateral";
      b.add(
        withAttributes({ kind: "pleural-effusion", certainty: effusion, source: "Pleural Effusion" }, attrs),
        affirmed,
      );
    }
  }

  const pleuralOther = certaintyOf(labels["Pleural Other"]);
  if (pleuralOther) {
    const { affirmed, ok } = b.labelMentions("Pleural Other", T.pleuralOther, false);
    if (ok) {
      const plaques = affirmed.some((m) => new RegExp(T.plaque.source, "i").test(m.context));
      b.add(
        withLocation(
          {
            kind: "pleural-thickening",
            certainty: pleuralOther,
            source: "Pleural Other",
            variant: plaques ? "calcified-plaques" : "thickening",
          },
          affirmed,
        ),
        affirmed,
      );
    }
  }

  const fracture = certaintyOf(labels.Fracture);
  if (fracture) {
    const { affirmed: stated, ok } = b.labelMentions("Fracture", T.fracture);
    // "fracture of a sternotomy wire" is a device finding, drawn with the wires.
    const affirmed = stated.filter((m) => !/\bsternotomy|wires?\b/i.test(m.context));
    if (ok && affirmed.length > 0) {
      const ctx = affirmed.map((m) => m.context).join(" ; ");
      const sentences = affirmed.map((m) => m.sentence).join(" ");
      const healed = new RegExp(T.healed.source, "i").test(sentences);
      const attrs = unionLocation(affirmed);
      let kind: FindingKind = "rib-fracture";
      if (new RegExp(T.clavicle.source, "i").test(ctx)) kind = "clavicle-fracture";
      else if (new RegExp(T.vertebral.source, "i").test(ctx) && !/\bribs?\b/i.test(ctx)) kind = "vertebral-compression";
      else if (new RegExp(T.humerus.source, "i").test(ctx) && !/\bribs?\b/i.test(ctx)) kind = "humerus-fracture";
      const spec = withAttributes({ kind, certainty: fracture, source: "Fracture", healed }, attrs);
      const rib = ribNumberOf(ctx);
      if (rib !== undefined && kind === "rib-fracture") spec.ribNumber = rib;
      if (kind === "rib-fracture")
        spec.count = affirmed.some((m) => isPlural(m.context) || /\bribs\b/i.test(m.context)) ? 3 : 1;
      b.add(spec, affirmed);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Devices (Support Devices label + device words in the text)
// ---------------------------------------------------------------------------------------------------------------

const DEVICE_PATTERNS: Array<[DeviceKind, RegExp]> = [
  ["sternotomy-wires", T.sternotomy],
  ["pacemaker", T.pacemaker],
  ["endotracheal-tube", T.endotracheal],
  ["tracheostomy-tube", T.tracheostomy],
  ["enteric-tube", T.enteric],
  ["chest-tube", T.chestTube],
  ["central-line", T.centralLine],
  ["valve-prosthesis", T.valve],
  ["coronary-stent", T.stent],
  ["spinal-hardware", T.spinalHardware],
  ["shoulder-hardware", T.shoulderHardware],
  ["surgical-clips", T.clips],
];

function clipSite(context: string): string {
  const text = context.toLowerCase();
  if (/cholecyst|gallbladder|right upper quadrant|ruq|abdomen|abdominal/.test(text)) return "cholecystectomy";
  if (/axill/.test(text)) return "axillary";
  if (/neck|thyroid|cervical/.test(text)) return "neck";
  if (/mediastin|cabg|bypass|cardiac/.test(text)) return "mediastinal";
  if (/breast/.test(text)) return "breast";
  return "";
}

function addDevices(b: FindingBuilder): void {
  const label = b.study.labels["Support Devices"];
  const labelCertainty = certaintyOf(label);
  let foundAny = false;
  let negatedAny = false;
  for (const [kind, pattern] of DEVICE_PATTERNS) {
    const all = b.text.mentions(pattern);
    let affirmed = all.filter((m) => !m.negated && !m.uncertain);
    if (all.some((m) => m.negated)) negatedAny = true;
    if (kind === "central-line") {
      // "catheter" alone also names pleural catheters and chest tubes.
      affirmed = affirmed.filter((m) => !/\b(?:pleural|chest|urinary|foley)\b/i.test(m.context));
    }
    if (kind === "surgical-clips" && b.has("sternotomy-wires")) {
      affirmed = affirmed.filter((m) => clipSite(m.context) !== "mediastinal" || /\bclips\b/i.test(m.term));
    }
    if (affirmed.length === 0) continue;
    if (
      kind === "coronary-stent" &&
      affirmed.every((m) =>
        /\b(?:biliary|ureteral|tracheal|esophageal|iliac|aort\w*|renal|carotid|svc|vascular)\b/i.test(m.sentence),
      )
    ) {
      continue;
    }
    foundAny = true;
    const attrs = unionLocation(affirmed);
    const spec: FindingSpec = {
      kind,
      certainty: "positive",
      source: labelCertainty ? "Support Devices" : "report text",
    };
    if (attrs.side) spec.side = attrs.side;
    if (kind === "surgical-clips") {
      const site = clipSite(affirmed.map((m) => m.sentence).join(" "));
      if (site) spec.variant = site;
    }
    if (kind === "spinal-hardware") {
      const ctx = affirmed
        .map((m) => m.sentence)
        .join(" ")
        .toLowerCase();
      spec.variant = /kyphoplasty|vertebroplasty/.test(ctx)
        ? "vertebroplasty"
        : /cervical|acdf/.test(ctx)
          ? "cervical"
          : "rods";
    }
    if (kind === "central-line") {
      const ctx = affirmed
        .map((m) => m.sentence)
        .join(" ")
        .toLowerCase();
      spec.variant = /picc/.test(ctx)
        ? "picc"
        : /port/.test(ctx)
          ? "port"
          : /jugular|\bij\b/.test(ctx)
            ? "jugular"
            : /dialysis/.test(ctx)
              ? "dialysis"
              : "subclavian";
    }
    b.add(spec, affirmed);
  }
  if (labelCertainty && !foundAny) {
    if (negatedAny) {
      b.suppressed.push({
        observation: "Support Devices",
        value: label,
        reason: "every device mention is negated or removed",
      });
    } else {
      // The label names a device the text does not describe: render a generic one (chosen by the finding seed).
      b.add({ kind: "central-line", certainty: labelCertainty, source: "Support Devices", variant: "unspecified" }, []);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Findings without a CheXpert label, from the text
// ---------------------------------------------------------------------------------------------------------------

function textCertainty(mentions: Mention[]): Certainty {
  return mentions.some((m) => !m.uncertain) ? "positive" : "uncertain";
}

function addTextFinding(
  b: FindingBuilder,
  kind: TextFindingKind,
  mentions: Mention[],
  extra: Partial<FindingSpec> = {},
): void {
  if (mentions.length === 0 || b.has(kind)) return;
  b.add(
    withLocation({ kind, certainty: textCertainty(mentions), source: "report text", ...extra }, mentions),
    mentions,
  );
}

function addTextFindings(b: FindingBuilder): void {
  const t = b.text;
  const granulomas = t.affirmed(T.granuloma);
  const granDisease = t.affirmed(T.granulomatousDisease);
  if (granulomas.length > 0 || granDisease.length > 0) {
    const all = granulomas.concat(granDisease);
    const plural = all.some((m) => isPlural(m.context) || /granulomatous/i.test(m.term));
    addTextFinding(b, "calcified-granuloma", all, { count: plural ? 3 : 1 });
  }
  addTextFinding(b, "calcified-lymph-nodes", t.affirmed(T.calcifiedNodes));

  const degenerative = t
    .affirmed(T.degenerative)
    .filter(
      (m) => !new RegExp(T.notSpine.source, "i").test(m.context) || new RegExp(T.spine.source, "i").test(m.context),
    );
  addTextFinding(b, "degenerative-spine", degenerative);

  const hyper = t
    .affirmed(T.hyperinflation)
    .filter((m) => !/\bflatten\w*\b/i.test(m.term) || /diaphragm/i.test(m.context));
  addTextFinding(b, "hyperinflation", hyper);
  if (!b.has("hyperinflation")) addTextFinding(b, "low-lung-volumes", t.affirmed(T.lowVolumes));
  addTextFinding(b, "hiatal-hernia", t.affirmed(T.hiatal));

  const scoliosis = t.affirmed(T.scoliosis);
  if (scoliosis.length > 0) {
    const ctx = scoliosis
      .map((m) => `${m.term} ${m.context}`)
      .join(" ")
      .toLowerCase();
    const convexity: Side | undefined = /dextro|rightward|right convex|convex to the right|convexity to the right/.test(
      ctx,
    )
      ? "right"
      : /levo|leftward|left convex|convex to the left|convexity to the left/.test(ctx)
        ? "left"
        : undefined;
    addTextFinding(b, "scoliosis", scoliosis, convexity ? { side: convexity } : {});
    const f = b.findings.find((x) => x.kind === "scoliosis");
    if (f) {
      if (convexity) f.side = convexity;
      else delete f.side;
    }
  }
  addTextFinding(b, "kyphosis", t.affirmed(T.kyphosis));
  addTextFinding(
    b,
    "tortuous-aorta",
    t.affirmed(T.tortuous).filter((m) => /aort|tortu/i.test(m.context)),
  );
  addTextFinding(b, "aortic-calcification", t.affirmed(T.aorticCalcification));
  addTextFinding(b, "elevated-hemidiaphragm", t.affirmed(T.elevatedDiaphragm));
  addTextFinding(b, "diaphragm-eventration", t.affirmed(T.eventration));
  addTextFinding(b, "hilar-enlargement", t.affirmed(T.hilar));
  addTextFinding(b, "osteopenia", t.affirmed(T.osteopenia));
}

/** The renderer's input for one study, with the evidence and the suppressed labels kept aside. */
export function findingsOf(study: ReportedStudy): StudyFindings {
  const b = new FindingBuilder(study);
  addLabelFindings(b);
  addDevices(b);
  addTextFindings(b);
  return { spec: { id: study.id, findings: b.findings }, evidence: b.evidence, suppressed: b.suppressed };
}

/** A canonical string of the findings (kind, grade and attributes): equal signatures render equal findings. */
export function findingSignature(findings: FindingSpec[]): string {
  const canonical = findings
    .map((f) => {
      const keys = Object.keys(f).sort() as Array<keyof FindingSpec>;
      return JSON.stringify(keys.filter((k) => k !== "source").map((k) => [k, f[k]]));
    })
    .sort();
  return canonical.join("|");
}

/** Short human caption of a finding, e.g. "cardiomegaly (moderate)" or "effusion R small?". */
export function describeFinding(f: FindingSpec): string {
  const parts: string[] = [f.kind];
  if (f.side) parts.push(f.side === "bilateral" ? "bilat" : f.side === "left" ? "L" : "R");
  if (f.lobes?.length) parts.push(f.lobes.join("/"));
  else if (f.zones?.length) parts.push(f.zones.join("/"));
  if (f.severity) parts.push(f.severity);
  if (f.variant && f.variant !== "unspecified") parts.push(f.variant);
  if (f.healed) parts.push("healed");
  return parts.join(" ") + (f.certainty === "uncertain" ? " (?)" : "");
}
