/**
 * Worker thread for code-node type checks (see typecheck-service.ts): the TypeScript compiler is synchronous
 * and CPU-bound (~0.5 s for the first check in a process, ~40 ms after), so it runs here rather than on the
 * API's event loop, where it would hold up every other request meanwhile.
 */
import { parentPort } from "node:worker_threads";
import { typecheckCode } from "./typecheck";

export type TypecheckRequest = { id: number; code: string; dts: string };
export type TypecheckReply = { id: number; problems: ReturnType<typeof typecheckCode> } | { id: number; error: string };

parentPort!.on("message", (m: TypecheckRequest) => {
  let reply: TypecheckReply;
  try {
    reply = { id: m.id, problems: typecheckCode(m.code, m.dts) };
  } catch (e) {
    reply = { id: m.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
