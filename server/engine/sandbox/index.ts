/**
 * The code node's isolation layer (issue #6): user TypeScript in a QuickJS (WebAssembly) sandbox with time,
 * memory and stack limits; tables in as Arrow IPC bytes, out as Arrow buffers or references.
 */
export { runSandboxed, sandboxThreadsStarted, DEFAULT_LIMITS, type SandboxHost, type SandboxJob, type SandboxLimits, type SandboxOutput } from "./run-sandboxed";
export { compileUserCode } from "./transpile";
