import fs from "node:fs";
import path from "node:path";

/** The committed demo model pack (the one folder under models/ with a manifest), or MODEL_PACK_DIR when set. */
export function demoPackDir(): string {
  if (process.env.MODEL_PACK_DIR) return path.resolve(process.env.MODEL_PACK_DIR);
  const models = path.resolve(import.meta.dirname, "../../../models");
  const packs = fs
    .readdirSync(models, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(models, e.name, "manifest.json")))
    .map((e) => path.join(models, e.name))
    .sort();
  if (packs.length === 0) throw new Error(`no model pack under ${models}`);
  return packs[0]!;
}
