import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import type { Services } from "../services";
import { ReportConflictError } from "../services/reports/errors";
import { NotFoundError } from "../services/studies/studies-service";

export interface IpcContext {
  services: Services;
}

const t = initTRPC.context<IpcContext>().create({
  isServer: true,
  allowOutsideOfServer: true,
  errorFormatter({ shape, error, path }) {
    const zod = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      message: zod
        ? `invalid input for ${path ?? "procedure"}: ${zod.issues
            .map((i) => `${i.path.length ? i.path.join(".") : "(input)"}: ${i.message}`)
            .join("; ")}`
        : shape.message,
      data: {
        ...shape.data,
        issues: zod ? zod.issues.map((i) => ({ path: i.path.map(String), message: i.message })) : null,
      },
    };
  },
});

/** Turns the services' domain errors into transport errors with the right code; handlers stay thin. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof NotFoundError) {
      throw new TRPCError({ code: "NOT_FOUND", message: cause.message, cause });
    }
    if (cause instanceof ReportConflictError) {
      throw new TRPCError({ code: "CONFLICT", message: cause.message, cause });
    }
  }
  return result;
});

export const router = t.router;
export const procedure = t.procedure.use(domainErrors);
export const createCallerFactory = t.createCallerFactory;
