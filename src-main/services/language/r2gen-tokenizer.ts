/**
 * R2Gen's IU-Xray tokenizer (modules/tokenizers.py), ported exactly. Pure: no Node imports.
 *
 * Vocabulary: the cleaned train reports split on whitespace; tokens counted; those with count >= threshold plus
 * '<unk>', sorted (Python string order), get ids from 1. Id 0 is BOS, EOS and PAD at once.
 * Encoding: [0] + ids + [0], then cut to max_seq_length (R2Gen's dataset does `tokenizer(report)[:max_seq_length]`).
 * Decoding: tokens of the ids up to the first 0.
 */
import { compareCodePoints, pythonSplit } from "./python-text";
import { cleanReportIuXray } from "./r2gen-cleaning";

export const R2GEN_UNK_TOKEN = "<unk>";
export const R2GEN_THRESHOLD = 3;
export const R2GEN_MAX_SEQ_LENGTH = 60;
/** Id 0 is BOS, EOS and PAD in R2Gen. */
export const R2GEN_SPECIAL_ID = 0;
/** Placeholder stored at index 0 of idx2token in the manifest. */
export const R2GEN_INDEX0_PLACEHOLDER = "<pad/bos/eos>";

/** Build the vocabulary (tokens with ids 1..N in id order) from raw train reports. */
export function buildR2GenVocabulary(rawTrainReports: readonly string[], threshold = R2GEN_THRESHOLD): string[] {
  const counts = new Map<string, number>();
  for (const report of rawTrainReports) {
    for (const token of pythonSplit(cleanReportIuXray(report))) counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  const vocabulary = [...counts].filter(([, count]) => count >= threshold).map(([token]) => token);
  vocabulary.push(R2GEN_UNK_TOKEN);
  vocabulary.sort(compareCodePoints);
  return vocabulary;
}

export class R2GenTokenizer {
  /** idx2token[i] is the token with id i; index 0 holds a placeholder (id 0 is BOS/EOS/PAD). */
  readonly idx2token: readonly string[];
  private readonly token2idx: ReadonlyMap<string, number>;
  readonly unkId: number;

  constructor(
    vocabulary: readonly string[],
    readonly maxSeqLength = R2GEN_MAX_SEQ_LENGTH,
  ) {
    if (!vocabulary.includes(R2GEN_UNK_TOKEN)) throw new Error(`R2Gen vocabulary lacks the ${R2GEN_UNK_TOKEN} token`);
    this.idx2token = [R2GEN_INDEX0_PLACEHOLDER, ...vocabulary];
    this.token2idx = new Map(vocabulary.map((token, index) => [token, index + 1]));
    this.unkId = this.token2idx.get(R2GEN_UNK_TOKEN)!;
  }

  static fromTrainReports(rawTrainReports: readonly string[], threshold = R2GEN_THRESHOLD): R2GenTokenizer {
    return new R2GenTokenizer(buildR2GenVocabulary(rawTrainReports, threshold));
  }

  /** Number of real tokens (ids 1..N), '<unk>' included: R2Gen's len(token2idx). */
  get vocabularySize(): number {
    return this.idx2token.length - 1;
  }

  idOf(token: string): number {
    return this.token2idx.get(token) ?? this.unkId;
  }

  /** R2Gen `tokenizer(report)`: clean, split, map (unknown -> <unk>), wrap in 0s. Not truncated. */
  encodeUntruncated(rawReport: string): number[] {
    const ids = pythonSplit(cleanReportIuXray(rawReport)).map((token) => this.idOf(token));
    return [R2GEN_SPECIAL_ID, ...ids, R2GEN_SPECIAL_ID];
  }

  /** What R2Gen's dataset stores: `tokenizer(report)[:max_seq_length]`. */
  encode(rawReport: string): number[] {
    return this.encodeUntruncated(rawReport).slice(0, this.maxSeqLength);
  }

  /** R2Gen `decode`: join the tokens of ids until the first id 0. */
  decode(ids: readonly number[]): string {
    const tokens: string[] = [];
    for (const id of ids) {
      if (id <= 0) break;
      const token = this.idx2token[id];
      if (token === undefined) throw new Error(`token id ${id} is outside the vocabulary (1..${this.vocabularySize})`);
      tokens.push(token);
    }
    return tokens.join(" ");
  }
}

/** A tokenizer as the training manifests store it (dataset manifest, impression manifest): Python reads these. */
export interface R2GenTokenizerManifest {
  kind: "r2gen-iu-xray";
  threshold: number;
  max_seq_length: number;
  bos_id: number;
  eos_id: number;
  pad_id: number;
  unk_token: string;
  idx2token: string[];
}

/** The manifest form of `tokenizer` built with vocabulary `threshold`; `extra` fields follow the threshold. */
export function r2genTokenizerManifest<E extends object = Record<never, never>>(
  tokenizer: R2GenTokenizer,
  threshold: number,
  extra?: E,
): R2GenTokenizerManifest & E {
  return {
    kind: "r2gen-iu-xray",
    threshold,
    ...(extra as E),
    max_seq_length: tokenizer.maxSeqLength,
    bos_id: R2GEN_SPECIAL_ID,
    eos_id: R2GEN_SPECIAL_ID,
    pad_id: R2GEN_SPECIAL_ID,
    unk_token: R2GEN_UNK_TOKEN,
    idx2token: [...tokenizer.idx2token],
  };
}
