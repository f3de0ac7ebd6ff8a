/** Where things run (executor mode, TensorFlow.js backend, database) and which workers are alive. */
import { publicProcedure, router } from "../trpc";

export const systemRouter = router({
  info: publicProcedure.query(({ ctx }) => ctx.services.info()),
  /** Workers page: capabilities, heartbeats, queue depth per pool. */
  workers: publicProcedure.query(({ ctx }) => ctx.services.workers()),
});
