/** The inference engine's state as main reports it (model pack loading, ready, or unavailable and why). */
import { z } from "zod";

export const InferenceStatusSchema = z.discriminatedUnion("state", [
  z.object({ state: z.literal("loading"), packDir: z.string() }),
  z.object({
    state: z.literal("ready"),
    packDir: z.string(),
    name: z.string(),
    version: z.string(),
    /** "CPU" or "CUDA". */
    executionProvider: z.string(),
    /** Why an execution provider earlier in the list was not used (e.g. no CUDA provider library). */
    providerNotes: z.array(z.string()),
    /** E.g. which of several packs in models/ was chosen. */
    note: z.string().nullable(),
    /** The retrieval index seeding at this start: seeded now (with how many cases) or already in; null if it failed. */
    gallery: z.object({ seeded: z.boolean(), added: z.number().int().nonnegative() }).nullable(),
  }),
  z.object({
    state: z.literal("unavailable"),
    packDir: z.string().nullable(),
    /** Why there is no drafting: no pack in models/, or what is wrong with the pack. */
    reason: z.string(),
  }),
]);
export type InferenceStatus = z.infer<typeof InferenceStatusSchema>;
