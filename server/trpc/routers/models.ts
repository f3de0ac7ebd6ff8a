/** The model registry: every model a Training node produced, with its metrics and lineage. */
import { z } from "zod";
import { guard, notFound, viewerProcedure, router } from "../trpc";

export const modelsRouter = router({
  list: viewerProcedure
    .input(z.object({ name: z.string().min(1).optional(), limit: z.number().int().min(1).max(1000).default(200) }).default({ limit: 200 }))
    .query(({ ctx, input }) => guard(() => ctx.services.db.models.list(input))),
  get: viewerProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) =>
    guard(async () => {
      const m = await ctx.services.db.models.get(input.id);
      if (!m) throw notFound(`Registered model ${input.id}`);
      return m;
    }),
  ),
});
