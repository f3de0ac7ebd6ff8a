/**
 * Live run events inside one process: every event of an active run is kept in memory (for replay to a
 * browser that reconnects with its last event id) and pushed to subscribers. Finished runs are replayed from
 * the database instead. Queue mode replaces the transport (Redis), not this contract.
 */
import type { RunEvent } from "./types";

type Listener = (e: RunEvent) => void;

export class RunEventHub {
  private readonly buffers = new Map<string, RunEvent[]>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly finished = new Set<string>();
  private readonly firstSeq = new Map<string, number>();

  /** `afterSeq`: events up to it were published by an earlier process (a resumed run); they replay from the database. */
  open(runId: string, afterSeq = 0) {
    this.buffers.set(runId, []);
    this.firstSeq.set(runId, afterSeq + 1);
  }

  isActive(runId: string) {
    return this.buffers.has(runId) && !this.finished.has(runId);
  }

  publish(e: RunEvent) {
    this.buffers.get(e.runId)?.push(e);
    for (const l of this.listeners.get(e.runId) ?? []) l(e);
    if (e.type === "run-finished") {
      this.finished.add(e.runId);
      // Keep the buffer briefly for late subscribers, then rely on the database.
      setTimeout(() => {
        this.buffers.delete(e.runId);
        this.finished.delete(e.runId);
        this.firstSeq.delete(e.runId);
      }, 60_000).unref();
    }
  }

  /**
   * Events after `afterSeq` from memory, or undefined when this process does not hold them all (it does not
   * hold the run, or it resumed the run and its buffer starts later): the caller reads the database then.
   */
  replay(runId: string, afterSeq: number): RunEvent[] | undefined {
    const buf = this.buffers.get(runId);
    if (!buf) return undefined;
    if (afterSeq + 1 < (this.firstSeq.get(runId) ?? 1)) return undefined;
    return buf.filter((e) => e.seq > afterSeq);
  }

  subscribe(runId: string, l: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(l);
    return () => {
      set!.delete(l);
      if (!set!.size) this.listeners.delete(runId);
    };
  }
}

/**
 * Past events after `afterSeq` followed by live ones, without gaps or duplicates: subscribe first, then read
 * the past, then drain what arrived meanwhile, skipping seqs already yielded. Ends after `run-finished`.
 */
export async function* streamRunEvents(
  hub: RunEventHub,
  runId: string,
  afterSeq: number,
  past: () => Promise<RunEvent[]>,
  signal: AbortSignal,
): AsyncGenerator<RunEvent> {
  const queue: RunEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = hub.subscribe(runId, (e) => {
    queue.push(e);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    let last = afterSeq;
    for (const e of hub.replay(runId, afterSeq) ?? (await past())) {
      if (e.seq <= last) continue;
      last = e.seq;
      yield e;
      if (e.type === "run-finished") return;
    }
    while (!signal.aborted) {
      while (queue.length) {
        const e = queue.shift()!;
        if (e.seq <= last) continue;
        last = e.seq;
        yield e;
        if (e.type === "run-finished") return;
      }
      if (!hub.isActive(runId)) return; // finished (or not running here): the past was everything
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}
