/**
 * Build the compact WordNet synonym table that the METEOR port uses
 * (src-main/services/language/metrics/meteor-wordnet-synonyms.generated.ts).
 *
 *   npx tsx src-main/cli/build-meteor-synonyms.ts [--wordnet-dir /usr/share/wordnet] [--annotation path]
 *     [--labels path] [--out path]
 *
 * Needs the WordNet 3.0 database files (Debian: `apt-get install wordnet-base`, /usr/share/wordnet). The word
 * list is every token of the R2Gen-cleaned, METEOR-normalized IU-Xray reports (annotation and labels CSV), so
 * the table only has to be rebuilt when those change. WordNet 3.0 licence: see docs/language.md.
 */
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { appRoot } from "../paths";
import { loadAnnotationFile, loadReportLabelsFile } from "../services/language/iu-xray-dataset";
import { javaTokenize, meteorNormalizeEnglish } from "../services/language/metrics/meteor-normalizer";
import { cleanReportIuXray } from "../services/language/r2gen-cleaning";
import { R2GEN_UNK_TOKEN } from "../services/language/r2gen-tokenizer";
import { datasetFileOptions, runCli, UserError } from "./language-cli-support";

const POS_FILES = ["noun", "verb", "adj", "adv"] as const;

// METEOR 1.5 SynonymDictionary.morph: WordNet's detachment suffixes (noun, verb, adjective), tried in order.
const SUFFIXES = [
  "s",
  "ses",
  "xes",
  "zes",
  "ches",
  "shes",
  "men",
  "ies",
  "s",
  "ies",
  "es",
  "es",
  "ed",
  "ed",
  "ing",
  "ing",
  "er",
  "est",
  "er",
  "est",
];
const ENDINGS = ["", "s", "x", "z", "ch", "sh", "man", "y", "", "y", "e", "", "e", "", "e", "", "", "", "e", "e"];

function readWordnet(dir: string): { synsets: Map<string, Set<string>>; exceptions: Map<string, string[]> } {
  const synsets = new Map<string, Set<string>>();
  const exceptions = new Map<string, string[]>();
  for (const pos of POS_FILES) {
    const indexPath = path.join(dir, `index.${pos}`);
    const excPath = path.join(dir, `${pos}.exc`);
    if (!fs.existsSync(indexPath))
      throw new UserError(`WordNet index file not found: ${indexPath} (apt-get install wordnet-base)`);
    for (const line of fs.readFileSync(indexPath, "utf8").split("\n")) {
      if (line.length === 0 || line.startsWith("  ")) continue;
      const fields = line.trim().split(" ");
      const lemma = fields[0]!;
      const synsetCount = Number(fields[2]);
      const offsets = fields.slice(fields.length - synsetCount);
      const set = synsets.get(lemma) ?? new Set<string>();
      synsets.set(lemma, set);
      for (const offset of offsets) set.add(`${pos}:${offset}`);
    }
    if (fs.existsSync(excPath)) {
      for (const line of fs.readFileSync(excPath, "utf8").split("\n")) {
        const [form, ...bases] = line.trim().split(" ");
        if (!form || bases.length === 0) continue;
        exceptions.set(form, [...(exceptions.get(form) ?? []), ...bases]);
      }
    }
  }
  return { synsets, exceptions };
}

/** METEOR 1.5 getSynSets(word) + getStemSynSets(word). */
function meteorSynsets(
  word: string,
  synsets: Map<string, Set<string>>,
  exceptions: Map<string, string[]>,
): Set<string> {
  const result = new Set(synsets.get(word) ?? []);
  const bases = exceptions.get(word);
  if (bases) {
    for (const base of bases) for (const id of synsets.get(base) ?? []) result.add(id);
    return result;
  }
  let base = "";
  if (word.endsWith("ss") || word.length <= 2) base = word;
  else {
    for (let i = 0; i < SUFFIXES.length; i++) {
      if (!word.endsWith(SUFFIXES[i]!)) continue;
      const candidate = word.slice(0, word.length - SUFFIXES[i]!.length) + ENDINGS[i]!;
      if (synsets.has(candidate)) {
        base = candidate;
        break;
      }
    }
  }
  for (const id of synsets.get(base) ?? []) result.add(id);
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "wordnet-dir": { type: "string", default: "/usr/share/wordnet" },
      ...datasetFileOptions("annotation", "labels"),
      out: {
        type: "string",
        default: path.join(appRoot(), "src-main/services/language/metrics/meteor-wordnet-synonyms.generated.ts"),
      },
    },
  });
  const { synsets, exceptions } = readWordnet(values["wordnet-dir"]!);
  const annotation = loadAnnotationFile(values.annotation!);
  const labelled = loadReportLabelsFile(values.labels!);
  const reports = [
    ...annotation.train.map((s) => s.report),
    ...annotation.val.map((s) => s.report),
    ...annotation.test.map((s) => s.report),
    ...[...labelled.values()].map((row) => row.report),
  ];
  const vocabulary = new Set<string>(javaTokenize(meteorNormalizeEnglish(R2GEN_UNK_TOKEN)));
  for (const report of reports) {
    for (const token of javaTokenize(meteorNormalizeEnglish(cleanReportIuXray(report)))) vocabulary.add(token);
  }
  const perWord = new Map<string, Set<string>>();
  const usage = new Map<string, number>();
  for (const word of vocabulary) {
    const ids = meteorSynsets(word, synsets, exceptions);
    if (ids.size === 0) continue;
    perWord.set(word, ids);
    for (const id of ids) usage.set(id, (usage.get(id) ?? 0) + 1);
  }
  const shared = [...usage]
    .filter(([, count]) => count >= 2)
    .map(([id]) => id)
    .sort();
  const renumber = new Map(shared.map((id, index) => [id, index + 1]));
  const entries: string[] = [];
  for (const word of [...perWord.keys()].sort()) {
    const ids = [...perWord.get(word)!].map((id) => renumber.get(id)).filter((id): id is number => id !== undefined);
    if (ids.length === 0) continue;
    if (/[;:,]/.test(word)) continue;
    entries.push(`${word}:${ids.sort((a, b) => a - b).join(",")}`);
  }
  const body = [
    "// Generated by src-main/cli/build-meteor-synonyms.ts from the WordNet 3.0 database (Princeton University,",
    "// WordNet 3.0 licence, see docs/language.md) and the IU-Xray report vocabulary. Do not edit by hand.",
    `// ${vocabulary.size} vocabulary words, ${entries.length} with shared synsets, ${shared.length} synsets.`,
    `export const WORDNET_SYNONYM_TABLE =\n  "${entries.join(";")}";`,
    "",
  ].join("\n");
  fs.writeFileSync(values.out!, body);
  console.log(
    `wrote ${values.out}: ${entries.length} words, ${shared.length} shared synsets (vocabulary ${vocabulary.size})`,
  );
}

runCli(main);
