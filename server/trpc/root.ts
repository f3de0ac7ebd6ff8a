/** The app's tRPC router. The browser imports only its type. */
import { artifactRouter } from "./routers/artifact";
import { authRouter, usersRouter } from "./routers/auth";
import { endpointsRouter } from "./routers/endpoints";
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
  auth: authRouter,
  users: usersRouter,
  endpoints: endpointsRouter,
});

export type AppRouter = typeof appRouter;

/** Server-side caller (tests): `createCaller({ services, user })`, user an Actor or null. */
export const createCaller = createCallerFactory(appRouter);
