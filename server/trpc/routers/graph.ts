/** Design-time analysis: compiler issues and the schemas that feed column pickers. */
import { z } from "zod";
import { parseWorkflow } from "../../graph/format";
import { badRequest, guard, ProblemsError, viewerProcedure, router } from "../trpc";

export const graphRouter = router({
  analyze: viewerProcedure.input(z.object({ workflow: z.unknown() })).query(({ ctx, input }) => {
    const r = parseWorkflow(input.workflow);
    if (!r.ok) {
      const msg = `The workflow is malformed: ${r.problems[0]}`;
      throw badRequest(msg, new ProblemsError(msg, r.problems));
    }
    return guard(() => ctx.services.analyze(r.workflow));
  }),
});
