/**
 * Starts runs of saved workflows on an executor, persists every event into Run/NodeRun rows (in order, one
 * write chain per run) and publishes it to live subscribers only after it is stored, so a browser that
 * reconnects with its last event id can replay from memory or the database without a gap.
 *
 * Runs outlive an API process only in queue mode, where the workers and Redis keep going: there each run is
 * leased to the process driving it, and at start (then every lease period) the unfinished runs nobody holds
 * are resumed from their stored events. In process, a restart ends the runs it interrupted, with a message.
 */
import { randomUUID } from "node:crypto";
import type { Database, NodeRunRecord, RunRecord } from "../store/types";
import type { Analyzer } from "./analyze";
import type { Plan } from "../graph/compile-graph";
import { registerModelsFromEvent } from "./model-registry-hook";
import { RunEventHub, streamRunEvents } from "./run-events";
import { ServiceError } from "./service-error";
import type { RunService } from "./services";
import type { Executor, NodeOutcome, RunEvent, RunEventBody, RunHandle, RunRequest } from "./types";

/** Queue mode: an executor whose runs survive this process (server/queue/queue-executor.ts). */
export interface ResumableExecutor extends Executor {
  /** Take the run's lease; false while another live API process holds it. Renewed until the run ends. */
  claim(runId: string): Promise<boolean>;
  release(runId: string): Promise<void>;
  /** Continue a run after `afterSeq`; `reported`: per in-flight node, log/metric events already stored. */
  resume(req: RunRequest, afterSeq: number, reported: Record<string, { logs: number; metrics: number }>): RunHandle;
  readonly leaseMs: number;
}

export interface RunServiceDeps {
  db: Database;
  executor: Executor;
  /** Set in queue mode (the same object as `executor`): runs are leased and resumed after a restart. */
  resumable?: ResumableExecutor;
  analyzer: Analyzer;
  hub: RunEventHub;
  /** Static facts recorded on every run (executor mode, database...). */
  info: () => Record<string, string>;
  baseDir?: string;
  /** How often a run's events are read from the database while no process here drives it. Default 500 ms. */
  pollMs?: number;
}

/**
 * Rebuilds the plan of a run that does not belong to a saved workflow (a batch scoring job), so queue mode can
 * resume it after a restart: undefined when the run is not one of its kind, a reason when it cannot be resumed.
 * `finished` runs once the resumed run has ended (e.g. to remove the job's upload).
 */
export type RunPlanner = (run: RunRecord) => Promise<{ plan: Plan; finished?: () => Promise<void> } | string | undefined>;

/** Why an embedded-mode run stopped: the process running its nodes went away with it. */
export const INTERRUPTED_MESSAGE = "Interrupted by a server restart; run it again (finished nodes are cached).";

const FINISHED: ReadonlySet<NodeOutcome["status"]> = new Set(["succeeded", "cached", "failed", "skipped", "cancelled"]);
const isUnfinished = (status: string) => status === "queued" || status === "running";

export class InProcessRunService implements RunService {
  private readonly handles = new Map<string, RunHandle>();
  private readonly planners: RunPlanner[] = [];
  private sweep?: NodeJS.Timeout;
  private recovering?: Promise<void>;
  private closed = false;

  constructor(private readonly deps: RunServiceDeps) {}

  async startSaved(workflowId: string, version?: number): Promise<{ runId: string }> {
    const wf = await this.deps.db.workflows.get(workflowId, version);
    if (!wf) throw new ServiceError("not_found", `Workflow ${workflowId}${version ? ` version ${version}` : ""} does not exist.`);
    if (wf.graph.nodes.length === 0) throw new ServiceError("invalid_workflow", "The workflow is empty. Drag nodes from the palette onto the canvas first.");
    const plan = await this.deps.analyzer.analyze(wf.graph, this.deps.baseDir);
    if (!plan.ok) {
      const errors = plan.issues.filter((i) => i.severity === "error");
      throw new ServiceError("invalid_workflow", `The workflow has ${errors.length} problem${errors.length === 1 ? "" : "s"} to fix before it can run: ${errors[0]?.message ?? ""}`, errors);
    }
    const runId = randomUUID();
    // Leased before its row exists, so another API process's sweep never sees it unowned.
    await this.deps.resumable?.claim(runId);
    try {
      await this.deps.db.runs.create({
        id: runId,
        workflowId,
        workflowVersionId: wf.versionId,
        nodes: plan.nodes.map((n) => ({ nodeId: n.id, kind: n.kind })),
        info: this.deps.info(),
      });
    } catch (e) {
      await this.deps.resumable?.release(runId);
      throw e;
    }
    this.deps.hub.open(runId);
    this.drive(runId, plan, (sink) => this.deps.executor.start({ runId, plan, baseDir: this.deps.baseDir, sink }));
    return { runId };
  }

  /** Teach resume about runs of another kind than saved workflows (call before `recover`). */
  addPlanner(planner: RunPlanner) {
    this.planners.push(planner);
  }

  /**
   * Deal with the runs a previous process left unfinished: in queue mode resume every one whose lease is free
   * (and keep looking every lease period, for runs of API processes that die later); in process, close them
   * as interrupted. Called once at start.
   */
  async recover(): Promise<void> {
    const resumable = this.deps.resumable;
    if (!resumable) {
      for (const run of await this.deps.db.runs.listUnfinished()) await this.closeUnfinished(run, INTERRUPTED_MESSAGE);
      return;
    }
    await this.resumeUnowned();
    this.sweep = setInterval(() => void this.resumeUnowned(), resumable.leaseMs);
    this.sweep.unref();
  }

  /** Stop looking for runs to resume (the executor's close decides what happens to the runs driven here). */
  close() {
    this.closed = true;
    clearInterval(this.sweep);
  }

  async cancel(runId: string): Promise<void> {
    const h = this.handles.get(runId);
    if (!h) {
      const run = await this.deps.db.runs.get(runId);
      if (!run) throw new ServiceError("not_found", `Run ${runId} does not exist.`);
      return; // already finished: nothing to cancel
    }
    h.cancel();
  }

  /**
   * Past and live events. A run driven by this process streams from the hub; one driven elsewhere (another
   * API process, or one not resumed yet after a restart) is followed in the database until it finishes.
   */
  async *events(runId: string, afterSeq: number, signal: AbortSignal): AsyncGenerator<RunEvent> {
    const { hub, db } = this.deps;
    let last = afterSeq;
    while (!signal.aborted) {
      if (hub.isActive(runId)) {
        for await (const e of streamRunEvents(hub, runId, last, () => db.runs.eventsAfter(runId, last), signal)) {
          last = e.seq;
          yield e;
          if (e.type === "run-finished") return;
        }
        if (hub.isActive(runId)) return; // aborted
        continue; // no longer driven here (finished or handed over): the database has the rest
      }
      const run = await db.runs.get(runId);
      for (const e of await db.runs.eventsAfter(runId, last)) {
        if (e.seq <= last) continue;
        last = e.seq;
        yield e;
        if (e.type === "run-finished") return;
      }
      // Read the status before the events: a run that finished in between still has its last events read.
      if (!run || !isUnfinished(run.status)) return;
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.deps.pollMs ?? 500);
        signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
      });
    }
  }

  activeRuns(): string[] {
    return [...this.handles.keys()];
  }

  /** Persist-then-publish chain for a run's events, and the handle bookkeeping. */
  private drive(runId: string, plan: Plan, start: (sink: RunRequest["sink"]) => RunHandle): RunHandle {
    let chain = Promise.resolve();
    const handle = start({
      emit: (e: RunEvent) => {
        chain = chain
          .then(() => this.deps.db.runs.applyEvent(e))
          // After the event is stored, so the training table's hash is in the run's rows (model-registry-hook.ts).
          .then(() => registerModelsFromEvent(this.deps.db, plan, e))
          .catch((err) => console.error(`[lattice] could not persist event ${e.seq} of run ${runId}:`, err))
          .then(() => this.deps.hub.publish(e));
      },
    });
    this.handles.set(runId, handle);
    void handle.done.finally(() => this.handles.delete(runId));
    return handle;
  }

  private resumeUnowned(): Promise<void> {
    // One sweep at a time: a slow database must not start a second resume of the same run here.
    this.recovering ??= (async () => {
      try {
        for (const run of await this.deps.db.runs.listUnfinished()) {
          if (this.closed) return;
          if (this.handles.has(run.id) || !(await this.deps.resumable!.claim(run.id))) continue;
          await this.resume(run).catch(async (e: unknown) => {
            console.error(`[lattice] could not resume run ${run.id}:`, e);
            await this.deps.resumable!.release(run.id);
          });
        }
      } catch (e) {
        console.error("[lattice] looking for runs to resume failed:", e);
      } finally {
        this.recovering = undefined;
      }
    })();
    return this.recovering;
  }

  /** Continue one run (its lease held): recompile its workflow version, reopen its events at lastSeq, resume. */
  private async resume(stale: RunRecord) {
    const resumable = this.deps.resumable!;
    // Re-read under the lease: the previous owner may have finished it since the list was taken.
    const run = await this.deps.db.runs.get(stale.id);
    if (!run || !isUnfinished(run.status)) return resumable.release(stale.id);
    const planned = await this.planOf(run);
    if (typeof planned === "string") {
      await this.closeUnfinished(run, `Could not resume this run after a server restart: ${planned}`);
      return resumable.release(run.id);
    }
    const { plan, finished } = planned;
    const outcomes: Record<string, NodeOutcome> = {};
    const started: string[] = [];
    const nodeStartedAt: Record<string, number> = {};
    for (const n of run.nodes) {
      if (FINISHED.has(n.status)) outcomes[n.nodeId] = outcomeOf(n);
      else if (n.status === "queued" || n.status === "running") {
        started.push(n.nodeId);
        if (n.startedAt) nodeStartedAt[n.nodeId] = n.startedAt.getTime();
      }
    }
    const runStartedAt = (run.startedAt ?? run.createdAt).getTime();
    // Logs and metrics of in-flight nodes that were already stored: the executor's stream replay skips them.
    const reported: Record<string, { logs: number; metrics: number }> = Object.fromEntries(started.map((id) => [id, { logs: 0, metrics: 0 }]));
    for (const e of started.length ? await this.deps.db.runs.eventsAfter(run.id, 0) : []) {
      const counts = "nodeId" in e && e.nodeId !== undefined ? reported[e.nodeId] : undefined;
      if (counts && e.type === "log") counts.logs++;
      if (counts && e.type === "metric") counts.metrics++;
    }
    console.log(`[lattice] resuming run ${run.id} after event ${run.lastSeq} (${Object.keys(outcomes).length} node(s) done, ${started.length} in flight)`);
    this.deps.hub.open(run.id, run.lastSeq);
    const handle = this.drive(run.id, plan, (sink) =>
      resumable.resume({ runId: run.id, plan, baseDir: this.deps.baseDir, sink, resumed: { outcomes, started, runStartedAt, nodeStartedAt } }, run.lastSeq, reported),
    );
    if (finished) void handle.done.then(finished, finished).catch((e: unknown) => console.error(`[lattice] clean-up after run ${run.id} failed:`, e));
  }

  /** The compiled plan of the workflow version a run was started from (or a planner's), or why there is none. */
  private async planOf(run: RunRecord): Promise<{ plan: Plan; finished?: () => Promise<void> } | string> {
    const { db, analyzer, baseDir } = this.deps;
    if (!run.workflowId || !run.workflowVersionId) {
      for (const planner of this.planners) {
        const p = await planner(run);
        if (p !== undefined) return p;
      }
      return "it does not belong to a saved workflow.";
    }
    const version = (await db.workflows.versions(run.workflowId)).find((v) => v.id === run.workflowVersionId);
    const wf = version && (await db.workflows.get(run.workflowId, version.version));
    if (!wf) return "its workflow version no longer exists.";
    const plan = await analyzer.analyze(wf.graph, baseDir);
    if (!plan.ok) return plan.issues.find((i) => i.severity === "error")?.message ?? "the workflow no longer compiles.";
    if (plan.nodes.some((n) => !run.nodes.some((r) => r.nodeId === n.id))) return "its nodes changed.";
    return { plan };
  }

  /**
   * End a run nobody can continue with events rather than a bare row update, so a browser following it sees
   * its nodes fail and the run finish: its in-flight nodes fail with `message`, the rest are skipped.
   */
  private async closeUnfinished(run: RunRecord, message: string) {
    let seq = run.lastSeq;
    const now = Date.now();
    const apply = (body: RunEventBody) => this.deps.db.runs.applyEvent({ ...body, runId: run.id, seq: ++seq, ts: now } as RunEvent);
    for (const n of run.nodes)
      if (n.status === "queued" || n.status === "running")
        await apply({ type: "failed", nodeId: n.nodeId, error: { code: "interrupted", message, user: false }, durationMs: n.startedAt ? now - n.startedAt.getTime() : 0 });
    const durationMs = run.startedAt ? now - run.startedAt.getTime() : 0;
    await apply({ type: "run-finished", status: "failed", durationMs, error: message });
    console.warn(`[lattice] run ${run.id}: ${message}`);
  }
}

function outcomeOf(n: NodeRunRecord): NodeOutcome {
  return {
    status: n.status,
    cached: n.cacheHit,
    durationMs: n.durationMs ?? 0,
    outputs: n.outputs,
    metrics: n.metrics,
    ...(n.error ? { error: n.error } : {}),
  };
}
