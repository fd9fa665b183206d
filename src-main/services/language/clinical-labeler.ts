/**
 * A rule-based clinical labeler for chest X-ray reports: the 14 CheXpert observations, each positive (1),
 * negative (0), uncertain (-1) or not mentioned (null), with the mention phrases that decided it.
 *
 * Written for this project in the spirit of the CheXpert labeler (mention extraction, then negation and
 * uncertainty rules, then aggregation), tuned on IU-Xray reports, and working on raw report text as well as
 * on R2Gen-cleaned text (lower case, no commas, sentences joined with " . "). Pure: no Node imports.
 */
import { CHEXPERT_OBSERVATIONS, type LabelValue, type LabelVector, type ObservationName } from "./observations";

export interface LabelMention {
  observation: ObservationName;
  /** The matched phrase, as it appears in the normalized sentence. */
  phrase: string;
  /** The normalized sentence the phrase was found in. */
  sentence: string;
  value: Exclude<LabelValue, null>;
  /** Which rule decided the value (e.g. "negation: no"), for explanations and debugging. */
  rule: string;
}

export interface LabelerResult {
  /** One value per observation, in CHEXPERT_OBSERVATIONS order. */
  labels: LabelVector;
  mentions: LabelMention[];
  /** Non-negated findings outside the 14 observations (e.g. "granuloma") that rule out "No Finding". */
  otherFindings: string[];
}

interface ObservationRule {
  observation: ObservationName;
  mentions: RegExp[];
  /** Matches that overlap one of these are not mentions of the observation. */
  exclusions?: RegExp[];
  /** Descriptor phrases (e.g. "heart size") whose value comes from their qualifier (normal, enlarged, stable). */
  descriptors?: RegExp[];
}

/**
 * Cardiac and mediastinal "descriptor" mentions (heart size, cardiac silhouette, mediastinal contour...) carry no
 * finding by themselves: their value comes from what qualifies them in the same clause.
 */
const DESCRIPTOR_VERB = /\b(?:is|are|appears?|appearing|remains?|seems?|was|were|has been|have been)\b/;
const DESCRIPTOR_ENLARGED =
  /^\s*(?:[\w-]+\s+){0,3}?(?:upper limits? of normal|upper limit normal|upper normal|high normal|at the upper|borderline|(?:mildly |moderately |markedly |severely |slightly |significantly )?(?:enlarged|large|increased|prominent|widened|enlargement))\b/;
const DESCRIPTOR_DIRECT_NORMAL = /^\s*(?:normal|within normal limits|unremarkable)\b/;
const DESCRIPTOR_NOT_ENLARGED = /^\s*not\s+(?:\w+\s+)?(?:enlarged|widened|large)\b/;
const DESCRIPTOR_NORMAL =
  /^\s*(?:[\w-]+\s+){0,2}?(?:normal|within normal limits|within the normal limits|within limits of normal|unremarkable|grossly normal|negative|without (?:enlargement|acute))\b/;
const DESCRIPTOR_NORMAL_BEFORE =
  /\b(?:normal|unremarkable)\s+(?:(?:size|sized|appearing|configuration|contours?|caliber|and|of|the|in|heart|cardiac|hilar)\s+){0,6}$/;
const DESCRIPTOR_STABLE = /^\s*(?:[\w-]+\s+){0,1}?(?:stable|unchanged|similar|not changed|no change)\b/;
const DESCRIPTOR_STABLE_BEFORE = /\b(?:stable|unchanged|similar|borderline)\s+(?:[\w-]+\s+){0,1}$/;

const w = (source: string): RegExp => new RegExp(source, "g");

const RULES: ObservationRule[] = [
  {
    observation: "Enlarged Cardiomediastinum",
    mentions: [
      w(
        String.raw`\b(?:widened|widening of the|enlarged|prominent) (?:superior )?(?:mediastinum|mediastinal (?:silhouette|contour)s?|cardiomediastinal (?:silhouette|contour)s?)\b`,
      ),
      w(String.raw`\bmediastinal (?:widening|enlargement)\b`),
    ],
    descriptors: [
      w(
        String.raw`\bcardio ?mediastinal (?:silhouettes?|contours?|shadows?|size|structures?|width|borders?|configuration|outline|appearance)\b`,
      ),
      w(String.raw`\bcardiomediastinum\b`),
      w(
        String.raw`\bmediastinal (?:silhouettes?|contours?|shadows?|width|borders?|configuration|structures?|outline|size)\b`,
      ),
      w(String.raw`\bmediastinum\b`),
      w(String.raw`\bmediastinal and hilar contours?\b`),
      w(String.raw`\bcardiac contours\b`),
    ],
  },
  {
    observation: "Cardiomegaly",
    mentions: [
      w(String.raw`\bcardiomegaly\b`),
      w(String.raw`\bcardiac enlargement\b`),
      w(String.raw`\b(?:enlarged|large) (?:heart|cardiac (?:silhouette|contour|shadow))\b`),
      w(String.raw`\benlargement of the (?:heart|cardiac silhouette)\b`),
    ],
    descriptors: [
      w(String.raw`\bheart size\b`),
      w(String.raw`\bsize of the heart\b`),
      w(String.raw`\bcardiac (?:size|silhouette|contours?|shadow|diameter)\b`),
      w(String.raw`\bheart(?= (?:is|appears|remains|and mediastinum (?:are|normal)|normal|enlarged)|,| and pulmonary)`),
      w(String.raw`\bheart silhouette\b`),
      w(String.raw`(?<=normal )heart\b`),
    ],
  },
  {
    observation: "Lung Lesion",
    mentions: [
      w(String.raw`\bnodules?\b`),
      w(String.raw`\bnodular (?:densit(?:y|ies)|opacit(?:y|ies)|lesions?)\b`),
      w(String.raw`\bmass(?:es)?\b`),
      w(String.raw`\b(?:lung |pulmonary |cavitary |focal )?lesions?\b`),
      w(String.raw`\btumou?rs?\b`),
      w(String.raw`\bneoplasm\w*\b`),
      w(String.raw`\bcarcinoma\b`),
      w(String.raw`\bmalignan\w+\b`),
      w(String.raw`\bmetasta\w+\b`),
      w(String.raw`\bcavitary\b`),
    ],
    exclusions: [w(String.raw`\bsoft tissue mass\b`), w(String.raw`\bcalcified nodules?\b`)],
  },
  {
    observation: "Lung Opacity",
    mentions: [
      w(String.raw`\bopaci\w+`),
      w(String.raw`\bair ?space (?:disease|process|opacit(?:y|ies))\b`),
      w(String.raw`\bair-space disease\b`),
      w(String.raw`\binfiltrat\w*\b`),
      w(
        String.raw`\binterstitial (?:markings?|pattern|prominence|opacities|thickening|changes|disease|lung disease|densities)\b`,
      ),
      w(String.raw`\breticula\w*\b`),
      w(String.raw`\bdensit(?:y|ies)\b`),
      w(String.raw`\bscar(?:ring|s)?\b`),
      w(String.raw`\bhaz(?:e|iness|y)\b`),
      w(String.raw`\bground[- ]glass\b`),
      w(String.raw`\bfibros\w+\b`),
      w(String.raw`\bfibrotic\b`),
      w(String.raw`\bperibronchial (?:thickening|cuffing)\b`),
    ],
    exclusions: [
      w(String.raw`\bpleural (?:scar(?:ring|s)?|thickening)\b`),
      w(String.raw`\bsoft tissue densit(?:y|ies)\b`),
      w(String.raw`\bbone densit(?:y|ies)\b`),
    ],
  },
  {
    observation: "Edema",
    mentions: [
      w(String.raw`\bedema\b`),
      w(String.raw`\b(?:vascular|pulmonary|venous) congestion\b`),
      w(String.raw`\bchf\b`),
      w(String.raw`\b(?:congestive )?heart failure\b`),
      w(String.raw`\bfluid overload\b`),
    ],
  },
  {
    observation: "Consolidation",
    mentions: [w(String.raw`\bconsolidat\w*\b`)],
  },
  {
    observation: "Pneumonia",
    mentions: [w(String.raw`\bpneumonias?\b`), w(String.raw`\binfectio\w+\b`), w(String.raw`\bpneumonitis\b`)],
  },
  {
    observation: "Atelectasis",
    mentions: [w(String.raw`\batelecta\w+\b`), w(String.raw`\b(?:lobar |lobe |lung )?collapsed?\b`)],
  },
  {
    observation: "Pneumothorax",
    mentions: [w(String.raw`\bpneumothora\w+\b`), w(String.raw`\bhydropneumothorax\b`)],
  },
  {
    observation: "Pleural Effusion",
    mentions: [
      w(String.raw`\beffusions?\b`),
      w(String.raw`\bpleural fluid\b`),
      w(String.raw`\bhydrothorax\b`),
      w(String.raw`\bhydropneumothorax\b`),
    ],
    exclusions: [w(String.raw`\bpericardial effusions?\b`)],
  },
  {
    observation: "Pleural Other",
    mentions: [
      w(String.raw`\bpleural (?:thickening|scar(?:ring|s)?|plaques?|calcifications?|reaction|disease)\b`),
      w(String.raw`\bfibrothorax\b`),
      w(String.raw`\bapical (?:pleural )?(?:cap|capping|thickening)\b`),
      w(String.raw`\bpleuroparenchymal\b`),
    ],
  },
  {
    observation: "Fracture",
    mentions: [w(String.raw`\bfractur\w*\b`)],
  },
  {
    observation: "Support Devices",
    mentions: [
      w(String.raw`\b(?:pace ?makers?|pacers?|defibrillators?|aicd|icd)\b`),
      w(String.raw`\bcatheters?\b`),
      w(String.raw`\bpicc\b`),
      w(String.raw`\b(?:endotracheal|tracheostomy|feeding|chest|nasogastric|ng|et|enteric|gastric|drainage) tubes?\b`),
      w(String.raw`\b(?:central|venous|picc) lines?\b`),
      w(String.raw`\b(?:lead|leads|wires?)\b`),
      w(String.raw`\bstents?\b`),
      w(String.raw`\b(?:port|portacath|port-a-cath)\b`),
      w(String.raw`\bprosthe\w+\b`),
      w(String.raw`\bhardware\b`),
      w(String.raw`\bdevices?\b`),
      w(String.raw`\bclips?\b`),
      w(String.raw`\bgenerator\b`),
      w(String.raw`\bvalve replacement\b`),
      w(String.raw`\bstimulator\b`),
      w(String.raw`\bdrains?\b`),
    ],
  },
];

/** Phrases that end the reach of a negation or uncertainty cue inside a sentence. */
const SCOPE_BREAK = /\b(?:but|however|although|though|which|whereas|except|aside from|apart from|otherwise)\b|;|:/g;

/** "cannot exclude X", "X not excluded": uncertain even though they contain a negation word. */
const PRE_UNCERTAIN_NEGATION =
  /\b(?:cannot|can not|could not|not|difficult to|unable to) (?:be )?(?:exclude|excluded|rule out|ruled out|entirely excluded)\b|\bno (?:definite|definitive|convincing|obvious)\b|\bnot (?:definitely|clearly|well) (?:seen|identified|visualized)\b/;
const POST_UNCERTAIN_NEGATION =
  /^(?:[^.]*?)\b(?:cannot|can not|could not|not) (?:be )?(?:excluded|ruled out|entirely excluded)\b/;

const PRE_NEGATION =
  /\b(?:no|not|without|negative for|free of|absence of|absent|clear of|resolution of|resolved|removal of|rather than|nor|neither|denies|exclude[sd]?|ruled out)\b/;
const POST_NEGATION =
  /^\s*(?:\w+\s+){0,4}?(?:(?:is|are|was|were|has been|have been)\s+(?:not|no longer)\s+(?:seen|identified|present|visualized|appreciated|evident|demonstrated|noted|detected|visible|apparent)|not\s+(?:seen|identified|present|visualized|appreciated|evident|demonstrated|noted|detected)|(?:has|have)\s+resolved|resolved|(?:is|are|has been|have been)\s+removed|(?:is|are)\s+absent|(?:is|are)\s+negative)\b/;

const UNCERTAINTY =
  /\b(?:may|might|possible|possibly|possibility|probable|probably|likely|questionable|question of|suspicious|suspected|suspect|suggest\w*|concern\w*|could|represents?|representing|versus|vs|differential|consider\w*|compatible|equivocal|indeterminate|uncertain|borderline|cannot|presumed|presumably|favor\w*|worrisome)\b|\?/;
/** Uncertainty cues after a mention that concern the mention itself ("X is suspected", "X versus Y"). */
const POST_UNCERTAINTY =
  /^\s*(?:[\w-]+\s+){0,2}?(?:(?:is|are|may be|might be|could be|be)\s+)?(?:possible|possibly|suspected|questionable|likely|probable|versus|vs|a consideration|considered)\b|^\s*\?/;
const ADJACENT_OR_BEFORE = /\b(?:or|and\/or|andor)\s+(?:\w+\s+){0,2}$/;
const ADJACENT_OR_AFTER = /^\s*(?:\w+\s+){0,1}(?:or|and\/or|andor)\b/;

/** Findings outside the 14 observations that make a report not "No Finding". */
const OTHER_ABNORMALITY = new RegExp(
  [
    String.raw`\b(?:granulom\w*|degenerative|calcifi\w+|calcified|scolio\w+|kyphos\w+|kyphotic|tortu\w+|ectatic|ectasia`,
    String.raw`|atheroscl\w+|atheromatous|hernia|emphysema\w*|copd|hyperinfla\w+|hyperexpan\w+|overinflat\w+|lymph\w*`,
    String.raw`|adenopathy|aneurysm\w*|deformity|deformities|thyroid|goiter|lobectomy|pneumonectomy|resection`,
    String.raw`|bronchiect\w+|cyst\w*|bullae|bullous|blebs?|elevation|elevated|eventration|cicatri\w+|volume loss`,
    String.raw`|arthritic|osteopen\w+|osteopor\w+|schmorl|enthes\w+|sclero\w+|bony? (?:island|lesion)|metallic|azygos`,
    String.raw`|prominent|old|healed|chronic|prior|sequela\w*|histoplasm\w*|hyperlucen\w+|flattening|flattened`,
    String.raw`|thickening|retrocardiac|pectus|dextro\w+|levo\w+|situs|congestion)\b`,
  ].join(""),
  "g",
);

const NO_FINDING_INDEX = 0;
const SUPPORT_DEVICES_INDEX = CHEXPERT_OBSERVATIONS.indexOf("Support Devices");

/** Lower-case, unify whitespace and split into sentences (raw text with '.' or cleaned text with ' . '). */
export function splitReportSentences(report: string): string[] {
  const text = report
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/(\d)\.(\d)/g, "$1<dot>$2");
  return text
    .split(/\.(?:\s|$)|\. |\n|(?<=\w)\.(?=[a-z])|\s\.\s|\?/)
    .map((sentence) => sentence.replace(/<dot>/g, ".").trim())
    .filter((sentence) => sentence.length > 0);
}

function lastScopeStart(text: string): number {
  let start = 0;
  for (const match of text.matchAll(SCOPE_BREAK)) start = match.index + match[0].length;
  return start;
}

function firstScopeEnd(text: string): number {
  SCOPE_BREAK.lastIndex = 0;
  const match = SCOPE_BREAK.exec(text);
  SCOPE_BREAK.lastIndex = 0;
  const comma = text.indexOf(",");
  const candidates = [match ? match.index : text.length, comma >= 0 ? comma : text.length];
  return Math.min(...candidates);
}

function classifyMention(sentence: string, start: number, end: number): { value: 1 | 0 | -1; rule: string } {
  const before = sentence.slice(0, start);
  const preScope = before.slice(lastScopeStart(before));
  const after = sentence.slice(end);
  const postScope = after.slice(0, firstScopeEnd(after));

  const preUncertainNegation = PRE_UNCERTAIN_NEGATION.exec(preScope);
  if (preUncertainNegation) return { value: -1, rule: `uncertain: ${preUncertainNegation[0]}` };
  const postUncertainNegation = POST_UNCERTAIN_NEGATION.exec(postScope);
  if (postUncertainNegation) return { value: -1, rule: "uncertain: not excluded" };

  const preNegation = PRE_NEGATION.exec(preScope);
  if (preNegation) return { value: 0, rule: `negation: ${preNegation[0]}` };
  const postNegation = POST_NEGATION.exec(postScope);
  if (postNegation) return { value: 0, rule: `negation: ${postNegation[0].trim()}` };

  const uncertainty = UNCERTAINTY.exec(preScope) ?? POST_UNCERTAINTY.exec(postScope);
  if (uncertainty) return { value: -1, rule: `uncertain: ${uncertainty[0].trim()}` };
  if (ADJACENT_OR_BEFORE.test(before) || ADJACENT_OR_AFTER.test(after)) return { value: -1, rule: "uncertain: or" };
  return { value: 1, rule: "mentioned" };
}

/** Value of a descriptor mention ("heart size", "mediastinal contour") from the words that qualify it. */
function classifyDescriptor(sentence: string, start: number, end: number): { value: 1 | 0 | -1; rule: string } {
  const before = sentence.slice(0, start);
  const preScope = before.slice(lastScopeStart(before));
  const after = sentence.slice(end);
  SCOPE_BREAK.lastIndex = 0;
  const breakMatch = SCOPE_BREAK.exec(after);
  SCOPE_BREAK.lastIndex = 0;
  const postScope = after.slice(0, breakMatch ? breakMatch.index : after.length);

  const uncertainNegation = PRE_UNCERTAIN_NEGATION.exec(preScope) ?? POST_UNCERTAIN_NEGATION.exec(postScope);
  if (uncertainNegation) return { value: -1, rule: `uncertain: ${uncertainNegation[0].trim()}` };

  // Split "<descriptor>[, other subjects and ...] <verb> <predicate>"; without a verb the predicate follows directly.
  const verb = DESCRIPTOR_VERB.exec(postScope);
  const subjectTail = verb ? postScope.slice(0, verb.index) : "";
  // Without a verb, skip a conjoined subject list ("heart size and mediastinal contour within normal limits").
  const predicate = verb
    ? postScope.slice(verb.index + verb[0].length)
    : postScope.replace(/^\s*(?:(?:,|and)\s+(?:the\s+)?(?:pulmonary\s+|mediastinal\s+|hilar\s+)?[\w-]+\s*)+/, " ");
  const conjoined = /^\s*(?:,|and\b)/.test(subjectTail);

  if (/^\s*of normal size\b/.test(postScope)) return { value: 1, rule: "mentioned: of normal size" };
  const direct = DESCRIPTOR_DIRECT_NORMAL.exec(postScope);
  if (direct) return { value: 0, rule: `normal: ${direct[0].trim()}` };
  if (DESCRIPTOR_NOT_ENLARGED.test(predicate)) return { value: 0, rule: "normal: not enlarged" };
  if (
    conjoined &&
    verb?.[0].startsWith("appear") &&
    /\bvascularity\b/.test(subjectTail) &&
    /^\s*within normal/.test(predicate)
  )
    return { value: 1, rule: "conjoined subject: appear within normal limits" };
  if (!verb && /^\s*and\s+mediastinum\s+normal\b/.test(postScope))
    return { value: 1, rule: "conjoined subject: bare normal" };
  const enlarged = DESCRIPTOR_ENLARGED.exec(predicate);
  if (enlarged) {
    if (/\bborderline\s+(?:\w+\s+)?$/.test(preScope)) return { value: -1, rule: "uncertain: borderline" };
    return { value: 1, rule: `enlarged: ${enlarged[0].trim()}` };
  }
  const normal = DESCRIPTOR_NORMAL.exec(predicate) ?? DESCRIPTOR_NORMAL_BEFORE.exec(preScope);
  if (normal) return { value: 0, rule: `normal: ${normal[0].trim()}` };
  const stable = DESCRIPTOR_STABLE.exec(predicate) ?? DESCRIPTOR_STABLE_BEFORE.exec(preScope);
  if (stable) return { value: -1, rule: `uncertain: ${stable[0].trim()}` };
  const preNegation = PRE_NEGATION.exec(preScope);
  if (preNegation) return { value: 0, rule: `negation: ${preNegation[0]}` };
  const uncertainty = UNCERTAINTY.exec(preScope) ?? UNCERTAINTY.exec(postScope);
  if (uncertainty) return { value: -1, rule: `uncertain: ${uncertainty[0]}` };
  return { value: 1, rule: "mentioned without a normal qualifier" };
}

function overlaps(start: number, end: number, ranges: readonly [number, number][]): boolean {
  return ranges.some(([s, e]) => start < e && s < end);
}

/**
 * Mentions of a free phrase (e.g. "free air") in a report, each classified by the same negation and uncertainty
 * rules as the observations: 1 affirmed, -1 hedged, 0 negated. The phrase matches whole words, case-insensitive.
 */
export function phraseMentions(
  report: string,
  phrase: string,
): Array<{ sentence: string; value: 1 | 0 | -1; rule: string }> {
  const words = phrase
    .toLowerCase()
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (words.length === 0 || words[0] === "") return [];
  const pattern = new RegExp(`\\b${words.join("\\s+")}(?:e?s)?\\b`, "g");
  const out: Array<{ sentence: string; value: 1 | 0 | -1; rule: string }> = [];
  for (const sentence of splitReportSentences(report)) {
    for (const match of sentence.matchAll(pattern)) {
      out.push({ sentence, ...classifyMention(sentence, match.index, match.index + match[0].length) });
    }
  }
  return out;
}

/** Label one report (raw or R2Gen-cleaned text). */
export function labelReport(report: string): LabelerResult {
  const labels: LabelVector = CHEXPERT_OBSERVATIONS.map(() => null);
  const mentions: LabelMention[] = [];
  const sentences = splitReportSentences(report);
  const otherFindings: string[] = [];

  for (const sentence of sentences) {
    for (const rule of RULES) {
      const excluded: [number, number][] = [];
      for (const exclusion of rule.exclusions ?? []) {
        for (const match of sentence.matchAll(exclusion)) excluded.push([match.index, match.index + match[0].length]);
      }
      const taken: [number, number][] = [];
      // Mentions first, then descriptors; a span one of them took is not read again.
      const passes = [
        [rule.mentions, classifyMention],
        [rule.descriptors ?? [], classifyDescriptor],
      ] as const;
      for (const [patterns, classify] of passes) {
        for (const pattern of patterns) {
          for (const match of sentence.matchAll(pattern)) {
            const start = match.index;
            const end = start + match[0].length;
            if (overlaps(start, end, excluded) || overlaps(start, end, taken)) continue;
            taken.push([start, end]);
            const decision = classify(sentence, start, end);
            mentions.push({ observation: rule.observation, phrase: match[0], sentence, ...decision });
          }
        }
      }
    }
    for (const match of sentence.matchAll(OTHER_ABNORMALITY)) {
      const before = sentence.slice(0, match.index);
      const preScope = before.slice(lastScopeStart(before));
      if (!PRE_NEGATION.test(preScope)) otherFindings.push(match[0]);
    }
  }

  for (const mention of mentions) {
    const index = CHEXPERT_OBSERVATIONS.indexOf(mention.observation);
    const current = labels[index];
    labels[index] = mergeLabel(current ?? null, mention.value);
  }

  const anyPathology = labels.some(
    (value, index) => index !== NO_FINDING_INDEX && index !== SUPPORT_DEVICES_INDEX && (value === 1 || value === -1),
  );
  labels[NO_FINDING_INDEX] = !anyPathology && otherFindings.length === 0 ? 1 : null;
  return { labels, mentions, otherFindings };
}

/** Aggregation over mentions: positive beats uncertain beats negative. */
function mergeLabel(current: LabelValue, next: 1 | 0 | -1): LabelValue {
  if (current === null) return next;
  if (current === 1 || next === 1) return 1;
  if (current === -1 || next === -1) return -1;
  return 0;
}
