/**
 * Password and PIN hashes with Node's memory-hard scrypt (RFC 7914): a random 16-byte salt per hash, the cost
 * parameters stored with the hash (so they can be raised later without breaking older hashes), compared in constant
 * time. Format: `scrypt$N$r$p$<salt base64>$<key base64>`.
 */
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP's scrypt minimum: N=2^17, r=8, p=1 (128 MiB a hash; ~0.3–0.4 s on this 2-core machine, once per sign-in,
 * unlock or signing). Hashes made with lower parameters (2^15 before 2026-12-06) still verify and are re-hashed with
 * these at the next successful sign-in or re-authentication (needsRehash).
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 32;
const MAX_N = 2 ** 20;

function derive(secret: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      secret.normalize("NFKC"),
      salt,
      KEY_LENGTH,
      { ...params, maxmem: 256 * params.N * params.r + 16 * 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

export async function hashSecret(secret: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** The cost parameters stored with a hash; null when it is not a well-formed scrypt hash. */
function storedParams(stored: string): ScryptParams | null {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$/.exec(stored);
  return m ? { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) } : null;
}

/** Whether a (verified) stored hash was made with weaker parameters than `params` and should be made again. */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const have = storedParams(stored);
  return have !== null && (have.N < params.N || have.r < params.r || have.p < params.p);
}

/** Whether the secret matches the stored hash; a malformed hash never matches (and never throws). */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.N < 2 || params.N > MAX_N || (params.N & (params.N - 1)) !== 0 || params.r < 1 || params.p < 1)
    return false;
  const expected = Buffer.from(m[5] as string, "base64");
  if (expected.length !== KEY_LENGTH) return false;
  const key = await derive(secret, Buffer.from(m[4] as string, "base64"), params);
  return timingSafeEqual(key, expected);
}
