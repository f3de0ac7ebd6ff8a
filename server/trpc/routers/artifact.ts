/** Previews of stored port values for the inspector's Output tab. */
import { z } from "zod";
import { PORT_TYPES } from "../../../nodes/core/ports";
import { guard, viewerProcedure, router } from "../trpc";

export const artifactRouter = router({
  preview: viewerProcedure
    .input(
      z.object({
        // Content hashes only: never a path.
        hash: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, "not an artifact id"),
        portType: z.enum(PORT_TYPES),
        limit: z.number().int().min(1).max(1000).default(50),
      }),
    )
    .query(({ ctx, input }) => guard(() => ctx.services.preview(input.hash, input.portType, input.limit))),
});
