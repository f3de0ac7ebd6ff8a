/** In-memory AppServices for router tests and for developing the UI without the engine. */
import { memoryAdapter } from "better-auth/adapters/memory";
import type { Issue } from "../../nodes/core/errors";
import { createAuthService } from "../../server/auth/auth-service";
import { createRegistry } from "../../nodes/core/registry";
import { ServiceError } from "../../server/engine/service-error";
import type { Workflow } from "../../server/graph/format";
import type { AnalyzeResult, AppServices, ArtifactPreview } from "../../server/engine/services";
import type { ArtifactStore, RunEvent, RunEventBody } from "../../server/engine/types";
import { createFakeModelRegistry } from "../deploy/fake-model-registry";
import type { Database, RunRecord, WorkflowRecord, WorkflowSummary, WorkflowVersionSummary } from "../../server/store/types";
import { createFakeEndpoints, type FakeEndpointState } from "./fake-endpoints";

export interface FakeState {
  versions: Map<string, WorkflowRecord[]>;
  runs: Map<string, RunRecord>;
  events: Map<string, RunEvent[]>;
  analyzeIssues: Issue[];
  uploads: Array<{ name: string; size: number }>;
  started: Array<{ workflowId: string; version?: number }>;
  cancelled: string[];
  startError?: Error;
}

export type FakeServices = AppServices & {
  state: FakeState;
  endpointState: FakeEndpointState;
  /** Append an event to a run (assigning the next seq) and wake live listeners. */
  emit(runId: string, body: RunEventBody): RunEvent;
  close(): Promise<void>;
};

export function createFakeServices(): FakeServices {
  const state: FakeState = { versions: new Map(), runs: new Map(), events: new Map(), analyzeIssues: [], uploads: [], started: [], cancelled: [] };
  const listeners = new Map<string, Set<() => void>>();
  let nextId = 1;

  const latest = (id: string) => state.versions.get(id)?.at(-1);
  // Real better-auth (sessions, password hashing, the first-account-is-admin rule) over its in-memory adapter.
  const authDatabase = memoryAdapter({ user: [], session: [], account: [], verification: [] });
  const endpoints = createFakeEndpoints();
  /** Repositories the serving layer uses; the fake EndpointService stands in for it, so they are never called. */
  const unused = <T extends object>(name: string): T =>
    new Proxy({} as T, {
      get: (_t, prop) => () => Promise.reject(new Error(`fake db.${name}.${String(prop)} is not implemented: router tests go through the fake EndpointService`)),
    });

  const db: Database = {
    workflows: {
      async list(): Promise<WorkflowSummary[]> {
        return [...state.versions.entries()].map(([id, vs]) => {
          const last = vs.at(-1)!;
          return { id, name: last.name, latestVersion: last.version, updatedAt: last.updatedAt, lastRun: null };
        });
      },
      async get(id, version) {
        const vs = state.versions.get(id);
        if (!vs) return null;
        return (version ? vs.find((v) => v.version === version) : vs.at(-1)) ?? null;
      },
      async create(graph: Workflow) {
        const id = `wf${nextId++}`;
        const rec: WorkflowRecord = { id, name: graph.name, version: 1, versionId: `${id}v1`, graph, updatedAt: new Date() };
        state.versions.set(id, [rec]);
        return rec;
      },
      async save(id, graph) {
        const prev = latest(id);
        if (!prev) throw new Error("no such workflow");
        const rec: WorkflowRecord = { id, name: graph.name, version: prev.version + 1, versionId: `${id}v${prev.version + 1}`, graph, updatedAt: new Date() };
        state.versions.get(id)!.push(rec);
        return rec;
      },
      async versions(id): Promise<WorkflowVersionSummary[]> {
        return (state.versions.get(id) ?? []).map((v) => ({ id: v.versionId, version: v.version, createdAt: v.updatedAt }));
      },
      async delete(id) {
        state.versions.delete(id);
      },
    },
    runs: {
      async create() {},
      async applyEvent() {},
      async get(runId) {
        return state.runs.get(runId) ?? null;
      },
      async listForWorkflow(workflowId) {
        return [...state.runs.values()].filter((r) => r.workflowId === workflowId);
      },
      async eventsAfter(runId, afterSeq) {
        return (state.events.get(runId) ?? []).filter((e) => e.seq > afterSeq);
      },
      async listUnfinished() {
        return [...state.runs.values()].filter((r) => r.status === "queued" || r.status === "running");
      },
    },
    artifacts: { async record() {}, async get() { return null; } },
    models: createFakeModelRegistry(),
    endpoints: unused("endpoints"),
    apiKeys: unused("apiKeys"),
    audit: unused("audit"),
    authDatabase,
    describe: () => "fake",
    close: async () => {},
  };

  const artifacts: ArtifactStore = {
    root: "/tmp/fake",
    put: async () => "h",
    get: async () => new Uint8Array(),
    has: async () => false,
    getCache: async () => undefined,
    putCache: async () => {},
  };

  function emit(runId: string, body: RunEventBody): RunEvent {
    const list = state.events.get(runId) ?? [];
    const ev = { ...body, runId, seq: list.length + 1, ts: Date.now() } as RunEvent;
    list.push(ev);
    state.events.set(runId, list);
    const run = state.runs.get(runId);
    if (run) {
      run.lastSeq = ev.seq;
      if (ev.type === "run-finished") run.status = ev.status;
    }
    for (const l of listeners.get(runId) ?? []) l();
    return ev;
  }

  return {
    state,
    endpointState: endpoints.state,
    emit,
    auth: createAuthService({ database: authDatabase, secret: "fake-services-secret-0123456789-abcdefghijklmnopqrstuvwxyz" }),
    endpoints,
    registry: createRegistry([]),
    db,
    artifacts,
    runs: {
      // The RunService contract: unknown, empty or non-compiling workflows are refused with a ServiceError.
      async startSaved(workflowId, version) {
        if (state.startError) throw state.startError;
        const wf = await db.workflows.get(workflowId, version);
        if (!wf) throw new ServiceError("not_found", `Workflow ${workflowId} does not exist.`);
        if (wf.graph.nodes.length === 0) throw new ServiceError("invalid_workflow", "The workflow is empty. Drag nodes from the palette onto the canvas first.");
        const errors = state.analyzeIssues.filter((i) => i.severity === "error");
        if (errors.length) throw new ServiceError("invalid_workflow", `The workflow cannot run: ${errors[0]!.message}`, errors);
        state.started.push({ workflowId, version: wf.version });
        const id = `run${nextId++}`;
        state.runs.set(id, { id, workflowId, status: "running", createdAt: new Date(), info: { executor: "fake" }, lastSeq: 0, nodes: [] });
        return { runId: id };
      },
      async cancel(runId) {
        state.cancelled.push(runId);
      },
      async *events(runId, afterSeq, signal) {
        let seen = afterSeq;
        while (!signal.aborted) {
          const pending = (state.events.get(runId) ?? []).filter((e) => e.seq > seen);
          for (const ev of pending) {
            seen = ev.seq;
            yield ev;
            if (ev.type === "run-finished") return;
          }
          if (pending.length) continue; // more may have arrived while the consumer held a value
          await new Promise<void>((resolve) => {
            const set = listeners.get(runId) ?? new Set();
            const wake = () => {
              set.delete(wake);
              signal.removeEventListener("abort", wake);
              resolve();
            };
            set.add(wake);
            listeners.set(runId, set);
            signal.addEventListener("abort", wake);
          });
        }
      },
    },
    async analyze(): Promise<AnalyzeResult> {
      return { issues: state.analyzeIssues, infos: {} };
    },
    async preview(hash, portType): Promise<ArtifactPreview> {
      if (hash === "missing-hash") throw new Error(`Artifact ${hash} is not in the store`);
      if (portType === "table")
        return { type: "table", table: { rows: 2, columns: [{ name: "a", dtype: "int", count: 2, nulls: 0, min: 1, max: 2, mean: 1.5 }], head: { columns: ["a"], data: [[1, 2]] } } };
      return { type: "json", portType, value: { values: { roc_auc: 0.9 } } };
    },
    async upload(name, bytes) {
      state.uploads.push({ name, size: bytes.byteLength });
      return { path: `uploads/${name}` };
    },
    info: () => ({ executor: "fake", tfjsBackend: "cpu", database: "fake" }),
    workers: async () => ({
      mode: "queue" as const,
      workers: [{ id: "w1", hostname: "gpu-box", pid: 7, pools: ["cpu", "gpu"], concurrency: 4, tfBackend: "tensorflow-gpu", gpu: { name: "H100", memoryMB: 81559 }, active: 1, processed: 9, failed: 0, startedAt: 1, heartbeatAt: 2 }],
      pools: [{ pool: "gpu", waiting: 3, active: 1, delayed: 0, failed: 0, completed: 9 }],
    }),
    close: async () => {},
  };
}
