import { AppEventSchema } from "../domain";
import { def, NoInput } from "./define";

export const eventsContract = {
  onEvent: def("subscription", NoInput, AppEventSchema, "Progress and change events pushed by main."),
} as const;
