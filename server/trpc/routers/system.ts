/** Where things run (executor mode, TensorFlow.js backend, database) and which workers are alive. */
import { viewerProcedure, router } from "../trpc";

export const systemRouter = router({
  info: viewerProcedure.query(({ ctx }) => ctx.services.info()),
  /** Workers page: capabilities, heartbeats, queue depth per pool. */
  workers: viewerProcedure.query(({ ctx }) => ctx.services.workers()),
});
