import { createHash } from "node:crypto";

/**
 * Deterministic randomness for the synthetic radiograph generator.
 *
 * Every random choice is drawn from a named stream seeded by SHA-256 of (generator version, study id, stream name).
 * The patient's anatomy uses the "patient" stream, each finding its own stream, the detector noise its own; so
 * adding or removing a finding never moves the patient's ribs, and the report text never reaches any seed.
 */
export const SEED_NAMESPACE = "radiology-draft/iu-synth/v1";

export function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Small fast PRNG (sfc32, 128-bit state) with the distributions the renderer needs. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(seed: Uint32Array) {
    if (seed.length < 4) throw new Error(`Rng seed needs 4 words, got ${seed.length}`);
    this.a = seed[0]! | 0;
    this.b = seed[1]! | 0;
    this.c = seed[2]! | 0;
    this.d = seed[3]! | 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.uniform() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick on an empty list");
    return items[Math.floor(this.uniform() * items.length)]!;
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = this.uniform();
    if (u < 1e-12) u = 1e-12;
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Normal with mean and sd, clipped to [lo, hi]. */
  gauss(mean: number, sd: number, lo = -Infinity, hi = Infinity): number {
    return Math.min(hi, Math.max(lo, mean + sd * this.normal()));
  }
}

export function seedWords(text: string): Uint32Array {
  const digest = sha256(text);
  return new Uint32Array([
    digest.readUInt32LE(0),
    digest.readUInt32LE(4),
    digest.readUInt32LE(8),
    digest.readUInt32LE(12),
  ]);
}

/** The random stream `stream` of study `studyId`. Depends on nothing else. */
export function rngFor(studyId: string, stream: string): Rng {
  return new Rng(seedWords(`${SEED_NAMESPACE}|${studyId}|${stream}`));
}

/** A DICOM UID under the 2.25 root (ITU-T X.667): 2.25.<decimal of a 128-bit hash of the key>. */
export function uidFromKey(key: string): string {
  const digest = sha256(`${SEED_NAMESPACE}|uid|${key}`);
  let value = 0n;
  for (let i = 0; i < 16; i++) value = (value << 8n) | BigInt(digest[i]!);
  // A 2.25 UID component must not have leading zeros; BigInt's decimal string has none (value 0 is "0").
  return `2.25.${value.toString(10)}`;
}
