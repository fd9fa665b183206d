/**
 * Write a contact sheet of synthetic radiographs (a simulation): frontal + lateral per study with its findings.
 *
 *   npm run contact-sheet -- [--root data/iu_xray_synth] [--out data/contact-sheets/<name>.png]
 *     [--ids a,b,...] [--finding <kind>[,<kind>]] [--split train|val|test] [--count 16] [--columns 4] [--tile 256]
 *
 * Images come from --root when rendered there (npm run synth), otherwise they are rendered on the fly.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { runCli } from "../../../src-main/cli/language-cli-support";
import {
  DEVICE_KINDS,
  findingsOf,
  LABEL_FINDING_KINDS,
  TEXT_FINDING_KINDS,
} from "../../../src-main/services/language/report-findings";
import { writeContactSheet } from "../contact-sheet";
import { loadIuStudies } from "../dataset";
import { intOption, listOption, STUDY_SELECTION_OPTIONS, SynthInputError, splitOption } from "../errors";
import { DEFAULT_SYNTH_OUT, iuSourceOptions, iuSourcesFrom, REPO_ROOT } from "../paths";

const KINDS: readonly string[] = [...LABEL_FINDING_KINDS, ...DEVICE_KINDS, ...TEXT_FINDING_KINDS];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: "string", default: DEFAULT_SYNTH_OUT },
      out: { type: "string" },
      ...iuSourceOptions(),
      ...STUDY_SELECTION_OPTIONS,
      finding: { type: "string" },
      count: { type: "string" },
      columns: { type: "string" },
      tile: { type: "string" },
    },
  });
  const count = intOption("count", values.count, 1, 200) ?? 16;
  const columns = intOption("columns", values.columns, 1, 20) ?? 4;
  const tile = intOption("tile", values.tile, 64, 1024) ?? 256;
  const split = splitOption(values.split);
  const wanted = listOption(values.finding) ?? [];
  const unknown = wanted.filter((k) => !KINDS.includes(k));
  if (unknown.length > 0)
    throw new SynthInputError(`unknown --finding ${unknown.join(", ")}; known: ${KINDS.join(", ")}`);
  const { studies } = await loadIuStudies(iuSourcesFrom(values));
  let selected = studies;
  const ids = listOption(values.ids);
  if (ids) {
    const byId = new Map(studies.map((s) => [s.id, s]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length > 0) throw new SynthInputError(`unknown study id(s): ${missing.join(", ")}`);
    selected = ids.map((id) => byId.get(id)!);
  }
  if (split) selected = selected.filter((s) => s.split === split);
  let findings = selected.map(findingsOf);
  if (wanted.length > 0) findings = findings.filter((f) => f.spec.findings.some((x) => wanted.includes(x.kind)));
  findings = findings.slice(0, count);
  if (findings.length === 0) throw new SynthInputError("no studies match the selection");
  const name = wanted.length ? wanted.join("+") : ids ? "selected" : (split ?? "all");
  const out = path.resolve(values.out ?? path.join(REPO_ROOT, "data/contact-sheets", `${name}.png`));
  await writeContactSheet(findings, out, { tile, columns, datasetRoot: path.resolve(values.root) });
  console.log(`wrote ${out} (${findings.length} studies; simulation, not real radiographs)`);
}

runCli(main);
