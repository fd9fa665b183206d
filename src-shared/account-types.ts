/** Local user accounts (docs/security.md, "Accounts"): schemas shared by main, the IPC contract and the renderer. */
import { z } from "zod";

const part = (label: string) =>
  z
    .string()
    .trim()
    .max(64, `${label} is at most 64 characters`)
    .refine((v) => !/[\^=\\]/.test(v), `${label} may not hold ^, = or \\ (DICOM PN delimiters)`);

/** A person's name in the five components of DICOM's PN (PS3.5 6.2.1): Family^Given^Middle^Prefix^Suffix. */
export const PersonNamePartsSchema = z
  .object({
    family: part("the family name").pipe(z.string().min(1, "the family name is required")),
    given: part("the given name").default(""),
    middle: part("the middle name").default(""),
    prefix: part("the name prefix").default(""),
    suffix: part("the name suffix").default(""),
  })
  .strict();
export type PersonNameParts = z.infer<typeof PersonNamePartsSchema>;

export const UsernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, "the user name is 2–32 letters, digits, '.', '_' or '-'");

export const PasswordSchema = z
  .string()
  .min(10, "the password needs at least 10 characters")
  .max(256, "the password is at most 256 characters");

export const PinSchema = z.string().regex(/^[0-9]{4,8}$/, "the PIN is 4 to 8 digits");

export const CreateAccountInputSchema = z
  .object({
    username: UsernameSchema,
    name: PersonNamePartsSchema,
    password: PasswordSchema,
    pin: PinSchema.optional(),
  })
  .strict();
export type CreateAccountInput = z.input<typeof CreateAccountInputSchema>;

/** What re-authenticates the signed-in radiologist: the password or, when the account has one, the PIN. */
export const CredentialSchema = z.union([
  z.object({ password: z.string().min(1).max(256) }).strict(),
  z.object({ pin: z.string().min(1).max(16) }).strict(),
]);
export type Credential = z.infer<typeof CredentialSchema>;

/** What was typed as a credential: a PIN is 4 to 8 digits; a password has at least 10 characters, so never both. */
export function credentialOf(secret: string): Credential {
  return /^[0-9]{4,8}$/.test(secret) ? { pin: secret } : { password: secret };
}

export const AccountSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  name: PersonNamePartsSchema,
  /** "Dr. Ada M. Reviewer, MD": how the name is printed. */
  displayName: z.string(),
  /** Family^Given^Middle^Prefix^Suffix, trailing empty components left out. */
  dicomName: z.string(),
  hasPin: z.boolean(),
  createdAt: z.string(),
});
export type Account = z.infer<typeof AccountSchema>;

export const AccountSessionSchema = z.object({
  /** No account exists yet: the first one is created without signing in. */
  firstRun: z.boolean(),
  account: AccountSchema.nullable(),
  /** Signed in but idle past idleLockSeconds: the password or PIN unlocks it. */
  locked: z.boolean(),
  idleLockSeconds: z.number().int(),
});
export type AccountSession = z.infer<typeof AccountSessionSchema>;

/** DICOM PN of the parts, trailing empty components left out. */
export function dicomPersonName(n: PersonNameParts): string {
  return [n.family, n.given, n.middle, n.prefix, n.suffix].join("^").replace(/\^+$/, "");
}

/** The name as printed: prefix, given, middle, family, then ", suffix". */
export function displayPersonName(n: PersonNameParts): string {
  const main = [n.prefix, n.given, n.middle, n.family].filter((p) => p.trim() !== "").join(" ");
  return n.suffix ? `${main}, ${n.suffix}` : main;
}
