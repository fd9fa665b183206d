import { z } from "zod";
import { AppInfoSchema } from "../domain";
import { def, NoInput } from "./define";

export const appContract = {
  info: def("query", NoInput, AppInfoSchema, "What main reports about itself: version, data folder, model."),
  ping: def(
    "mutation",
    z.object({ message: z.string().max(1000) }).strict(),
    z.object({ message: z.string(), receivedAt: z.string() }),
    "Round trip through the transport; echoes the message.",
  ),
} as const;
