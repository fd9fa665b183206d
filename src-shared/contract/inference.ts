import { InferenceStatusSchema } from "../inference-types";
import { def, NoInput } from "./define";

export const inferenceContract = {
  status: def(
    "query",
    NoInput,
    InferenceStatusSchema,
    "The model pack of the drafting engine: loading, ready (name, version, execution provider) or unavailable and why.",
  ),
} as const;
