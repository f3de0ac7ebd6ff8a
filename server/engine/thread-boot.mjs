// Worker-thread bootstrap: Node 20 does not pass tsx's loader hooks to worker threads, so register them here
// before importing the TypeScript entry named in workerData.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
