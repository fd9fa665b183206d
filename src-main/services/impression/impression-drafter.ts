/**
 * Draft an impression from findings text with an impression pack: the toolkit prepares the findings (R2Gen
 * cleaning, the pack's vocabulary), retrieves the nearest train impression by TF-IDF, the ONNX encoder reads both,
 * the one beam search (model-pack/beam-search.ts) runs the cached decoder step, and the consistency step
 * (language/impression-consistency.ts) drops or repairs sentences that contradict the findings.
 */
import * as ort from "onnxruntime-node";
import { type DisplayCasing, displayReport, rawReportText } from "../inference/report-text";
import { makeImpressionConsistent } from "../language/impression-consistency";
import { findingsTokenIds } from "../language/impression-dataset";
import { cleanReportIuXray } from "../language/r2gen-cleaning";
import { beamSearch } from "../model-pack";
import type { ImpressionPack } from "./impression-pack";

export interface ImpressionDraft {
  /** What the report shows: sentence case, full stops. */
  text: string;
  /** The cleaned text after the consistency step (what eval scores). */
  raw: string;
  /** The model's own output before the consistency step. */
  modelRaw: string;
  consistency: { dropped: string[]; added: string[] };
  retrieved: { uid: number; similarity: number };
  steps: number;
  ms: number;
}

/** Findings that give the model nothing to read (empty, or only punctuation after cleaning). */
export class NoFindingsError extends Error {
  override name = "NoFindingsError";
  constructor() {
    super("the findings are empty: an impression is drafted from the findings");
  }
}

function int64(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor(
    "int64",
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

export interface DraftOptions {
  /** Apply the consistency step (default true). */
  consistency?: boolean;
  casing?: DisplayCasing;
}

/** What the model reads for findings text: its token ids and the TF-IDF-nearest gallery impression's ids. */
export function impressionInputs(
  pack: ImpressionPack,
  findings: string,
): { findingsIds: number[]; retrievedIds: number[]; near: { index: number; similarity: number } } {
  const dotId = pack.tokenizer.idOf(".");
  const findingsIds = findingsTokenIds(pack.tokenizer, findings);
  if (!findingsIds.some((id) => id !== dotId)) throw new NoFindingsError();
  const near = pack.index.nearest(findingsIds);
  return { findingsIds, retrievedIds: pack.gallery.impressionIds[near.index]!, near };
}

export async function draftImpression(
  pack: ImpressionPack,
  findings: string,
  options: DraftOptions = {},
): Promise<ImpressionDraft> {
  const started = performance.now();
  const { manifest, gallery } = pack;
  const { findingsIds, retrievedIds, near } = impressionInputs(pack, findings);
  const state = await pack.sessions.encoder.run({
    findings_ids: int64(findingsIds, [1, findingsIds.length]),
    retrieved_ids: int64(retrievedIds, [1, retrievedIds.length]),
  });
  const { decoding } = manifest;
  const rows = decoding.beam_size;
  const crossKeys = state.cross_keys as ort.Tensor;
  const [layers, , heads, , headDim] = crossKeys.dims as number[];
  let pastKeys: ort.Tensor = new ort.Tensor("float32", new Float32Array(0), [layers!, rows, heads!, 0, headDim!]);
  let pastValues: ort.Tensor = new ort.Tensor("float32", new Float32Array(0), [layers!, rows, heads!, 0, headDim!]);
  const beam = await beamSearch(
    async (inputIds, beamOrigin) => {
      const out = await pack.sessions.step.run({
        input_ids: int64(inputIds, [rows, 1]),
        beam_origin: int64(beamOrigin, [rows]),
        past_keys: pastKeys,
        past_values: pastValues,
        cross_keys: crossKeys,
        cross_values: state.cross_values as ort.Tensor,
        pointer_keys: state.pointer_keys as ort.Tensor,
        copy_map: state.copy_map as ort.Tensor,
        source_bias: state.source_bias as ort.Tensor,
      });
      pastKeys = out.present_keys as ort.Tensor;
      pastValues = out.present_values as ort.Tensor;
      return out.log_probs!.data as Float32Array;
    },
    {
      beamSize: rows,
      maxLength: decoding.max_length,
      startId: decoding.start_id,
      endId: decoding.end_id,
      vocabSize: manifest.tokenizer.idx2token.length,
    },
  );
  const modelRaw = rawReportText(beam.tokens, manifest.tokenizer.idx2token);
  const step =
    options.consistency === false
      ? { text: modelRaw, dropped: [], added: [] }
      : makeImpressionConsistent(cleanReportIuXray(findings), modelRaw);
  return {
    text: displayReport(step.text, options.casing).text,
    raw: step.text,
    modelRaw,
    consistency: { dropped: step.dropped, added: step.added },
    retrieved: { uid: gallery.uids[near.index]!, similarity: near.similarity },
    steps: beam.steps,
    ms: performance.now() - started,
  };
}
