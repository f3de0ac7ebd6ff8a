/** Runs: start a saved workflow, cancel, snapshot, history, and the live event stream (SSE). */
import { tracked } from "@trpc/server";
import { z } from "zod";
import { badRequest, editorProcedure, guard, notFound, router, viewerProcedure } from "../trpc";

const runId = z.string().min(1).max(200);

export const runRouter = router({
  /** Starts the saved workflow; one that cannot run is refused (BAD_REQUEST) with its issues in the error data. */
  start: editorProcedure
    .input(z.object({ workflowId: z.string().min(1).max(200), version: z.number().int().min(1).optional() }))
    .mutation(({ ctx, input }) => guard(() => ctx.services.runs.startSaved(input.workflowId, input.version))),

  cancel: editorProcedure.input(z.object({ runId })).mutation(async ({ ctx, input }) => {
    const run = await guard(() => ctx.services.db.runs.get(input.runId));
    if (!run) throw notFound("This run");
    await guard(() => ctx.services.runs.cancel(input.runId));
    return { runId: input.runId };
  }),

  get: viewerProcedure.input(z.object({ runId })).query(async ({ ctx, input }) => {
    const run = await guard(() => ctx.services.db.runs.get(input.runId));
    if (!run) throw notFound("This run");
    return run;
  }),

  listForWorkflow: viewerProcedure
    .input(z.object({ workflowId: z.string().min(1).max(200), limit: z.number().int().min(1).max(200).default(30) }))
    .query(({ ctx, input }) => guard(() => ctx.services.db.runs.listForWorkflow(input.workflowId, input.limit))),

  /**
   * Run events after `lastEventId` (a seq), then live ones until the run finishes. Each event is tracked by
   * its seq, so a reconnecting EventSource sends Last-Event-ID and resumes without gaps or repeats.
   */
  onEvents: viewerProcedure
    .input(z.object({ runId, lastEventId: z.string().nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const after = input.lastEventId ? Number(input.lastEventId) : 0;
      if (!Number.isFinite(after) || after < 0) throw badRequest(`"${input.lastEventId}" is not an event id.`);
      const run = await guard(() => ctx.services.db.runs.get(input.runId));
      if (!run) throw notFound("This run");
      const ac = new AbortController();
      const onAbort = () => ac.abort();
      signal?.addEventListener("abort", onAbort);
      try {
        for await (const ev of ctx.services.runs.events(input.runId, after, ac.signal)) {
          yield tracked(String(ev.seq), ev);
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        ac.abort();
      }
    }),
});
