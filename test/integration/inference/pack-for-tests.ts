/**
 * The real model pack the inference tests run: RADIOLOGY_DRAFT_TEST_PACK, else the application's default pack in
 * models/, else the development pack data/dev-pack (built by test/integration/inference/build-dev-pack.sh with the
 * project's own training code). Without any, the suites that need a pack are skipped and say why.
 */
import fs from "node:fs";
import path from "node:path";
import { findDefaultModelPack } from "../../../src-main/services/inference";

export const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");

export function packForTests(): { dir: string; reason: null } | { dir: null; reason: string } {
  const fromEnv = process.env.RADIOLOGY_DRAFT_TEST_PACK;
  if (fromEnv) return { dir: path.resolve(fromEnv), reason: null };
  const choice = findDefaultModelPack(path.join(repoRoot, "models"), null);
  if (choice.dir !== null) return { dir: choice.dir, reason: null };
  const dev = path.join(repoRoot, "data", "dev-pack");
  if (fs.existsSync(path.join(dev, "manifest.json"))) return { dir: dev, reason: null };
  return {
    dir: null,
    reason: `no model pack: ${choice.reason}, and no data/dev-pack (build one with test/integration/inference/build-dev-pack.sh)`,
  };
}
