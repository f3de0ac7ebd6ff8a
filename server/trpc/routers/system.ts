/** Where things run (executor mode, TensorFlow.js backend, database), for the status bar. */
import { publicProcedure, router } from "../trpc";

export const systemRouter = router({
  info: publicProcedure.query(({ ctx }) => ctx.services.info()),
});
