/**
 * The code node's server-side type check (its `check` hook): builds the node's declarations and checks the
 * code, memoized by code + declarations, so re-analysing a graph whose code nodes did not change costs
 * nothing. A check takes ~40 ms once the standard library is parsed (~0.5 s, once per process), all of it
 * synchronous compiler work, so it runs on one worker thread (typecheck-worker.ts) started on first use: the
 * API's event loop keeps serving requests meanwhile. The thread does not keep a process alive while idle.
 */
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { nodeDts, type NodeTypesInput } from "../../../nodes/code/code-types";
import type { TypeProblem } from "./typecheck";
import type { TypecheckReply } from "./typecheck-worker";

const MAX_ENTRIES = 200;
const memo = new Map<string, Promise<TypeProblem[]>>();

/** Type problems in a code node's code, given its declarations and the schemas reaching its inputs. */
export function typecheckCodeNode(n: NodeTypesInput & { code: string }): Promise<TypeProblem[]> {
  const dts = nodeDts(n);
  const key = createHash("sha256").update(n.code).update("\0").update(dts).digest("hex");
  let hit = memo.get(key);
  if (!hit) {
    hit = checker.check(n.code, dts);
    // A failed check (the thread died) is not remembered.
    hit.catch(() => memo.delete(key));
    if (memo.size >= MAX_ENTRIES) memo.delete(memo.keys().next().value!);
  } else memo.delete(key);
  memo.set(key, hit);
  return hit;
}

/** The one type-check thread of this process, started on the first check and restarted if it dies. */
class CheckerThread {
  private worker?: Worker;
  private next = 0;
  private readonly pending = new Map<number, { resolve(p: TypeProblem[]): void; reject(e: Error): void }>();

  check(code: string, dts: string): Promise<TypeProblem[]> {
    const worker = this.start();
    const id = ++this.next;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held while a check is pending, so a CLI run waits for it; let go when idle.
      worker.ref();
      worker.postMessage({ id, code, dts });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("../thread-boot.mjs", import.meta.url), {
      workerData: { entry: new URL("./typecheck-worker.ts", import.meta.url).href },
    });
    worker.unref();
    worker.on("message", (m: TypecheckReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if ("error" in m) p.reject(new Error(`The type checker failed: ${m.error}`));
      else p.resolve(m.problems);
    });
    const fail = (e: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`The type-check thread stopped: ${e.message}`));
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

const checker = new CheckerThread();
