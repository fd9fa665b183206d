/**
 * Regenerate the workstation's demo studies: synthetic DICOM renderings (a simulation) of a few IU-Xray
 * test-split studies, in resources/demo-studies.
 *
 *   npm run demo-studies -- [--out resources/demo-studies] [--annotation <annotation.json>] [--labels <csv>]
 *
 * Every file is re-parsed with dicom-parser (pixels compared with what was written) and, when dcmtk is
 * installed, checked with dcmdump (and dcmdrle for RLE files).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { runCli } from "../../../src-main/cli/language-cli-support";
import { commandExists, writeDemoStudies } from "../demo-studies";
import { DEMO_STUDIES_DIR, iuSourceOptions, iuSourcesFrom } from "../paths";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string", default: DEMO_STUDIES_DIR },
      ...iuSourceOptions(),
    },
  });
  const outDir = path.resolve(values.out);
  const entries = await writeDemoStudies({
    source: iuSourcesFrom(values),
    outDir,
    onStudy: (e) =>
      console.log(
        `${e.id} (${e.label}): ${e.files.map((f) => `${f.path} ${f.transferSyntax} ${(f.bytes / 1024).toFixed(0)} KiB`).join(", ")}`,
      ),
  });
  const total = entries.reduce((n, e) => n + e.files.reduce((m, f) => m + f.bytes, 0), 0);
  console.log(
    `wrote ${entries.length} demo studies (${(total / 1024 / 1024).toFixed(2)} MiB) to ${outDir}; checked with dicom-parser${commandExists("dcmdump") ? " and dcmtk" : " (dcmtk not installed)"}`,
  );
}

runCli(main);
