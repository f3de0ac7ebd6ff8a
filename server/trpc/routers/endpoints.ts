/**
 * Published endpoints over {@link EndpointService}: anyone signed in reads them; editors publish and move traffic
 * (live, canary, rollback); admins manage API keys, read the audit log and may publish over a failing gate.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { hasRole } from "../../auth/roles";
import { adminProcedure, editorProcedure, guard, RoleError, router, viewerProcedure } from "../trpc";

const slug = z.string().trim().min(1).max(100);
const version = z.number().int().min(1);
const workflowId = z.string().min(1).max(200);
const runId = z.string().min(1).max(200).optional();

export const endpointsRouter = router({
  list: viewerProcedure.query(({ ctx }) => guard(() => ctx.services.endpoints.list())),

  get: viewerProcedure.input(z.object({ slug })).query(({ ctx, input }) => guard(() => ctx.services.endpoints.get(input.slug))),

  /** The gate as publishing would see it now (the Publish dialog shows each check). */
  checkGate: viewerProcedure.input(z.object({ workflowId, runId })).query(({ ctx, input }) => guard(() => ctx.services.endpoints.checkGate(input.workflowId, input.runId))),

  /** Refused with PRECONDITION_FAILED and the failing checks in the error data while a gate fails, unless an admin overrides it. */
  publish: editorProcedure
    .input(
      z.object({
        workflowId,
        runId,
        slug: z
          .string()
          .trim()
          .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "Use lowercase letters, digits and single dashes (e.g. adult-income).")
          .max(60)
          .optional(),
        name: z.string().trim().min(1).max(200).optional(),
        makeLive: z.boolean().optional(),
        override: z.object({ reason: z.string().trim().min(3, "Say why the gate is overridden (at least a few words); it goes into the audit log.").max(1000) }).optional(),
      }),
    )
    .mutation(({ ctx, input }) => {
      if (input.override && !hasRole(ctx.user, "admin")) {
        const message = "Publishing over a failing gate needs the admin role. Fix what the gate reports, or ask an admin to override it.";
        throw new TRPCError({ code: "FORBIDDEN", message, cause: new RoleError(message, "admin") });
      }
      return guard(() => ctx.services.endpoints.publish(input, ctx.user));
    }),

  setLive: editorProcedure.input(z.object({ slug, version })).mutation(({ ctx, input }) => guard(() => ctx.services.endpoints.setLive(input.slug, input.version, ctx.user))),

  /** `version: null` or `percent: 0` ends the canary. */
  setCanary: editorProcedure
    .input(z.object({ slug, version: version.nullable(), percent: z.number().min(0).max(100) }))
    .mutation(({ ctx, input }) => guard(() => ctx.services.endpoints.setCanary(input.slug, input.version, input.percent, ctx.user))),

  rollback: editorProcedure.input(z.object({ slug })).mutation(({ ctx, input }) => guard(() => ctx.services.endpoints.rollback(input.slug, ctx.user))),

  /** The plaintext key is in this answer only; it is stored hashed. */
  createKey: adminProcedure
    .input(z.object({ slug, name: z.string().trim().min(1, "Name the key after who will use it (e.g. billing-service).").max(100), rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional() }))
    .mutation(({ ctx, input }) => guard(() => ctx.services.endpoints.createKey(input.slug, input.name, ctx.user, input.rateLimitPerMinute))),

  revokeKey: adminProcedure
    .input(z.object({ slug, keyId: z.string().min(1).max(200) }))
    .mutation(({ ctx, input }) => guard(() => ctx.services.endpoints.revokeKey(input.slug, input.keyId, ctx.user))),

  audit: adminProcedure
    .input(z.object({ target: z.string().max(300).optional(), limit: z.number().int().min(1).max(1000).default(200) }).default({ limit: 200 }))
    .query(({ ctx, input }) => guard(() => ctx.services.endpoints.audit(input))),
});
