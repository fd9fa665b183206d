import path from "node:path";
import { findDefaultModelPack } from "../../../src-main/services/inference/engine-host";

/**
 * The committed demo model pack: the drafting pack the app would load from models/ (findDefaultModelPack, which
 * skips other kinds such as the impression pack), or MODEL_PACK_DIR when set.
 */
export function demoPackDir(): string {
  if (process.env.MODEL_PACK_DIR) return path.resolve(process.env.MODEL_PACK_DIR);
  const models = path.resolve(import.meta.dirname, "../../../models");
  const choice = findDefaultModelPack(models, null);
  if (choice.dir === null) throw new Error(choice.reason);
  return choice.dir;
}
