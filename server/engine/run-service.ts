/**
 * Starts runs of saved workflows on an executor, persists every event into Run/NodeRun rows (in order, one
 * write chain per run) and publishes it to live subscribers only after it is stored, so a browser that
 * reconnects with its last event id can replay from memory or the database without a gap.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "../store/types";
import type { Analyzer } from "./analyze";
import { registerModelsFromEvent } from "./model-registry-hook";
import { RunEventHub, streamRunEvents } from "./run-events";
import { ServiceError } from "./service-error";
import type { RunService } from "./services";
import type { Executor, RunEvent, RunHandle } from "./types";

export interface RunServiceDeps {
  db: Database;
  executor: Executor;
  analyzer: Analyzer;
  hub: RunEventHub;
  /** Static facts recorded on every run (executor mode, database...). */
  info: () => Record<string, string>;
  baseDir?: string;
}

export class InProcessRunService implements RunService {
  private readonly handles = new Map<string, RunHandle>();

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
    await this.deps.db.runs.create({
      id: runId,
      workflowId,
      workflowVersionId: wf.versionId,
      nodes: plan.nodes.map((n) => ({ nodeId: n.id, kind: n.kind })),
      info: this.deps.info(),
    });
    this.deps.hub.open(runId);
    let chain = Promise.resolve();
    const handle = this.deps.executor.start({
      runId,
      plan,
      baseDir: this.deps.baseDir,
      sink: {
        emit: (e: RunEvent) => {
          chain = chain
            .then(() => this.deps.db.runs.applyEvent(e))
            // After the event is stored, so the training table's hash is in the run's rows (model-registry-hook.ts).
            .then(() => registerModelsFromEvent(this.deps.db, plan, e))
            .catch((err) => console.error(`[lattice] could not persist event ${e.seq} of run ${runId}:`, err))
            .then(() => this.deps.hub.publish(e));
        },
      },
    });
    this.handles.set(runId, handle);
    void handle.done.finally(() => this.handles.delete(runId));
    return { runId };
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

  events(runId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<RunEvent> {
    return streamRunEvents(this.deps.hub, runId, afterSeq, () => this.deps.db.runs.eventsAfter(runId, afterSeq), signal);
  }

  activeRuns(): string[] {
    return [...this.handles.keys()];
  }
}
