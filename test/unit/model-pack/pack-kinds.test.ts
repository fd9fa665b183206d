import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findImpressionPack, readImpressionPackManifest } from "../../../src-main/services/impression";
import { findDefaultModelPack } from "../../../src-main/services/inference/engine-host";
import { readModelPackManifest } from "../../../src-main/services/model-pack";

// The two kinds of pack share models/: each finder and each reader takes only its own kind.
const repoModels = path.resolve(import.meta.dirname, "../../../models");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pack-kinds-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function modelsWith(names: string[]): string {
  const dir = fs.mkdtempSync(path.join(scratch, "models-"));
  for (const name of names)
    fs.cpSync(path.join(repoModels, name, "manifest.json"), path.join(dir, name, "manifest.json"));
  return dir;
}

describe("drafting pack and impression pack side by side in models/", () => {
  it("the app's default model pack is never the impression pack, and the impression finder takes only it", () => {
    const both = modelsWith(["iu-xray-impression", "iu-xray-synth-demo"]);
    const drafting = findDefaultModelPack(both, null);
    expect(drafting).toEqual({ dir: path.join(both, "iu-xray-synth-demo"), note: null });
    expect(findImpressionPack(both, null)).toEqual({ dir: path.join(both, "iu-xray-impression") });
    const onlyImpression = modelsWith(["iu-xray-impression"]);
    expect(findDefaultModelPack(onlyImpression, null).dir).toBeNull();
    const onlyDrafting = modelsWith(["iu-xray-synth-demo"]);
    expect(findImpressionPack(onlyDrafting, null).dir).toBeNull();
  });

  it("each reader refuses the other kind, naming its format", () => {
    expect(() => readModelPackManifest(path.join(repoModels, "iu-xray-impression"))).toThrow(
      /format is "radiology-draft\/impression-pack@1": not a drafting model pack/,
    );
    expect(() => readImpressionPackManifest(path.join(repoModels, "iu-xray-synth-demo"))).toThrow(
      /format is "radiology-draft\/model-pack@1": not an impression pack/,
    );
  });
});
