/** The app's tRPC router. The browser imports only its type. */
import { artifactRouter } from "./routers/artifact";
import { graphRouter } from "./routers/graph";
import { modelsRouter } from "./routers/models";
import { runRouter } from "./routers/run";
import { systemRouter } from "./routers/system";
import { workflowRouter } from "./routers/workflow";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  workflow: workflowRouter,
  run: runRouter,
  graph: graphRouter,
  artifact: artifactRouter,
  models: modelsRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller (tests, CLI): `createCaller({ services })`. */
export const createCaller = createCallerFactory(appRouter);
