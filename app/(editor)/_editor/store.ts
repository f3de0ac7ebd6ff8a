/**
 * The editor's one store: graph, selection, analysis, and the state of the run being shown. React Flow node
 * `data` holds only serializable workflow fields; run state lives beside it, keyed by node id.
 */
import { applyEdgeChanges, applyNodeChanges, type Edge, type EdgeChange, type Node, type NodeChange } from "@xyflow/react";
import { create } from "zustand";
import type { Issue, NodeErrorInfo } from "../../../nodes/core/errors";
import { migrateParams, type PortInfos } from "../../../server/graph/compile-graph";
import { FORMAT_VERSION, type Workflow, type WorkflowNode } from "../../../server/graph/format";
import { registry } from "../../_lib/nodes";
import type { ArtifactRef, NodeStatus, RunEvent, RunStatus } from "../../../server/engine/types";
import type { RunRecord } from "../../../server/store/types";

export interface LatticeNodeData extends Record<string, unknown> {
  kind: string;
  version: number;
  params: Record<string, unknown>;
  label?: string;
}
export type LatticeNode = Node<LatticeNodeData, "lattice">;

export interface Series {
  x: number[];
  y: number[];
}

export interface NodeRunState {
  status: NodeStatus;
  progress?: number;
  progressMessage?: string;
  durationMs?: number;
  startedAt?: number;
  metrics: Record<string, number>;
  outputs: Record<string, ArtifactRef>;
  error?: NodeErrorInfo;
  cached?: boolean;
  skippedReason?: string;
  logs: Array<{ level: "info" | "warn" | "error"; message: string; ts: number }>;
  /** Metric series reported with a step (learning curves), by metric name. */
  series: Record<string, Series>;
}

export interface RunView {
  runId: string;
  status: RunStatus;
  lastSeq: number;
  /** Streaming live events (false when looking at a finished or past run). */
  live: boolean;
  /** The live stream dropped (the server restarts or the network is away) and is being resumed. */
  reconnecting?: boolean;
  startedAt?: number;
  durationMs?: number;
  error?: string;
  info: Record<string, unknown>;
  nodes: Record<string, NodeRunState>;
}

export interface Toast {
  id: number;
  kind: "error" | "info" | "success";
  message: string;
  detail?: string[];
}

interface EditorState {
  workflowId?: string;
  name: string;
  description?: string;
  version: number;
  dirty: boolean;
  nodes: LatticeNode[];
  edges: Edge[];
  selectedId?: string;
  inspectorTab: "settings" | "output";
  issues: Issue[];
  infos: Record<string, PortInfos>;
  analyzing: boolean;
  run?: RunView;
  runsOpen: boolean;
  /** Run history of this workflow, newest first. */
  runs: RunRecord[];
  toasts: Toast[];
}

const emptyNodeRun = (): NodeRunState => ({ status: "pending", metrics: {}, outputs: {}, logs: [], series: {} });

let toastSeq = 0;

export const useEditor = create<EditorState>()(() => ({
  name: "Untitled workflow",
  version: 0,
  dirty: false,
  nodes: [],
  edges: [],
  inspectorTab: "settings",
  issues: [],
  infos: {},
  analyzing: false,
  runsOpen: false,
  runs: [],
  toasts: [],
}));

const set = useEditor.setState;
const get = useEditor.getState;

export function edgeFromWorkflow(e: Workflow["edges"][number]): Edge {
  return {
    id: e.id ?? `${e.source}.${e.sourcePort}->${e.target}.${e.targetPort}`,
    source: e.source,
    sourceHandle: e.sourcePort,
    target: e.target,
    targetHandle: e.targetPort,
  };
}

/** Store graph → Workflow JSON v1. */
export function toWorkflow(s: Pick<EditorState, "name" | "description" | "nodes" | "edges"> = get()): Workflow {
  return {
    formatVersion: FORMAT_VERSION,
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    nodes: s.nodes.map((n) => ({
      id: n.id,
      kind: n.data.kind,
      version: n.data.version,
      params: n.data.params,
      position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
      ...(n.data.label ? { label: n.data.label } : {}),
    })),
    edges: s.edges.map((e) => ({ id: e.id, source: e.source, sourcePort: e.sourceHandle ?? "", target: e.target, targetPort: e.targetHandle ?? "" })),
  };
}

/**
 * A node saved by an older version of its kind, with its params migrated to the current version (the form
 * edits the current shape, e.g. a version-1 code node gets its ports declared); as saved when that cannot be done.
 */
function upgraded(n: WorkflowNode): { version: number; params: Record<string, unknown> } {
  const def = registry.get(n.kind);
  if (!def || n.version >= def.version) return { version: n.version, params: n.params };
  const m = migrateParams(n, def);
  return m.issue ? { version: n.version, params: n.params } : { version: def.version, params: m.params };
}

export const actions = {
  load(id: string, version: number, wf: Workflow) {
    set({
      workflowId: id,
      version,
      name: wf.name,
      description: wf.description,
      dirty: false,
      nodes: wf.nodes.map((n) => ({ id: n.id, type: "lattice", position: n.position, data: { kind: n.kind, ...upgraded(n), ...(n.label ? { label: n.label } : {}) } })),
      edges: wf.edges.map(edgeFromWorkflow),
      selectedId: undefined,
      issues: [],
      infos: {},
      run: undefined,
    });
  },
  saved(version: number) {
    set({ version, dirty: false });
  },
  setName(name: string) {
    set({ name, dirty: true });
  },
  onNodesChange(changes: NodeChange<LatticeNode>[]) {
    const meaningful = changes.some((c) => c.type === "remove" || c.type === "add" || (c.type === "position" && c.dragging === false) || c.type === "replace");
    const sel = changes.filter((c) => c.type === "select");
    set((s) => {
      const nodes = applyNodeChanges(changes, s.nodes);
      let selectedId = s.selectedId;
      for (const c of sel) {
        if (c.selected) selectedId = c.id;
        else if (selectedId === c.id) selectedId = undefined;
      }
      if (selectedId && !nodes.some((n) => n.id === selectedId)) selectedId = undefined;
      return { nodes, selectedId, dirty: s.dirty || meaningful };
    });
  },
  onEdgesChange(changes: EdgeChange[]) {
    const meaningful = changes.some((c) => c.type === "remove" || c.type === "add");
    set((s) => ({ edges: applyEdgeChanges(changes, s.edges), dirty: s.dirty || meaningful }));
  },
  addNode(node: LatticeNode) {
    set((s) => ({
      nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), { ...node, selected: true }],
      selectedId: node.id,
      inspectorTab: "settings",
      dirty: true,
    }));
  },
  removeNode(id: string) {
    set((s) => ({
      nodes: s.nodes.filter((n) => n.id !== id),
      edges: s.edges.filter((e) => e.source !== id && e.target !== id),
      selectedId: s.selectedId === id ? undefined : s.selectedId,
      dirty: true,
    }));
  },
  removeSelectedEdges() {
    set((s) => ({ edges: s.edges.filter((e) => !e.selected), dirty: true }));
  },
  addEdge(edge: Edge) {
    set((s) => ({ edges: [...s.edges, edge], dirty: true }));
  },
  select(id: string | undefined, tab?: EditorState["inspectorTab"]) {
    set((s) => ({ selectedId: id, inspectorTab: tab ?? s.inspectorTab, nodes: s.nodes.map((n) => (n.selected === (n.id === id) ? n : { ...n, selected: n.id === id })) }));
  },
  setTab(tab: EditorState["inspectorTab"]) {
    set({ inspectorTab: tab });
  },
  setParam(nodeId: string, key: string, value: unknown) {
    set((s) => ({
      dirty: true,
      nodes: s.nodes.map((n) => {
        if (n.id !== nodeId) return n;
        const params = { ...n.data.params };
        if (value === undefined) delete params[key];
        else params[key] = value;
        return { ...n, data: { ...n.data, params } };
      }),
    }));
  },
  setLabel(nodeId: string, label: string) {
    set((s) => ({ dirty: true, nodes: s.nodes.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, label: label || undefined } } : n)) }));
  },
  setAnalysis(issues: Issue[], infos: Record<string, PortInfos>) {
    set({ issues, infos, analyzing: false });
  },
  setAnalyzing(analyzing: boolean) {
    set({ analyzing });
  },
  toggleRuns(open?: boolean) {
    set((s) => ({ runsOpen: open ?? !s.runsOpen }));
  },
  toast(kind: Toast["kind"], message: string, detail?: string[]) {
    const t = { id: ++toastSeq, kind, message, detail };
    set((s) => ({ toasts: [...s.toasts.slice(-3), t] }));
    return t.id;
  },
  dismissToast(id: number) {
    set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },

  /** A new run was started from this editor: every node pending until events say otherwise. */
  runStarted(runId: string) {
    const nodes: Record<string, NodeRunState> = {};
    for (const n of get().nodes) nodes[n.id] = emptyNodeRun();
    set({ run: { runId, status: "queued", lastSeq: 0, live: true, startedAt: Date.now(), info: {}, nodes } });
  },
  /** Show a run from its persisted snapshot (page load, Runs drawer). */
  showRunRecord(r: RunRecord, live: boolean) {
    const nodes: Record<string, NodeRunState> = {};
    for (const n of r.nodes) {
      nodes[n.nodeId] = {
        status: n.status,
        progress: n.progress ?? undefined,
        progressMessage: n.progressMessage ?? undefined,
        durationMs: n.durationMs ?? undefined,
        startedAt: n.startedAt ? new Date(n.startedAt).getTime() : undefined,
        metrics: n.metrics ?? {},
        outputs: n.outputs ?? {},
        error: n.error ?? undefined,
        cached: n.cacheHit,
        logs: [],
        series: {},
      };
    }
    set({
      run: {
        runId: r.id,
        status: r.status,
        lastSeq: r.lastSeq,
        live,
        startedAt: r.startedAt ? new Date(r.startedAt).getTime() : new Date(r.createdAt).getTime(),
        durationMs: r.durationMs ?? undefined,
        error: r.error ?? undefined,
        info: r.info ?? {},
        nodes,
      },
    });
  },
  setLive(runId: string, live: boolean) {
    set((s) => (s.run?.runId === runId ? { run: { ...s.run, live } } : {}));
  },
  setReconnecting(runId: string, reconnecting: boolean) {
    set((s) => (s.run?.runId === runId && !!s.run.reconnecting !== reconnecting ? { run: { ...s.run, reconnecting } } : {}));
  },
  applyEvent(ev: RunEvent) {
    set((s) => {
      const run = s.run;
      if (!run || run.runId !== ev.runId || ev.seq <= run.lastSeq) return {};
      return { run: reduceRun(run, ev) };
    });
  },
};

function patchNode(run: RunView, nodeId: string, f: (n: NodeRunState) => NodeRunState): RunView {
  const cur = run.nodes[nodeId] ?? emptyNodeRun();
  return { ...run, nodes: { ...run.nodes, [nodeId]: f(cur) } };
}

/** Fold one event into the run view (pure; exported for tests). */
export function reduceRun(run0: RunView, ev: RunEvent): RunView {
  const run = { ...run0, lastSeq: ev.seq };
  switch (ev.type) {
    case "run-started": {
      const nodes = { ...run.nodes };
      for (const id of ev.nodeIds) nodes[id] = nodes[id] ?? emptyNodeRun();
      return { ...run, status: "running", startedAt: ev.ts, nodes };
    }
    case "queued":
      return patchNode(run, ev.nodeId, (n) => ({ ...n, status: "queued" }));
    case "running":
      return { ...patchNode(run, ev.nodeId, (n) => ({ ...n, status: "running", startedAt: ev.ts, progress: 0, error: undefined })), status: "running" };
    case "progress":
      return patchNode(run, ev.nodeId, (n) => ({ ...n, progress: ev.fraction, progressMessage: ev.message ?? n.progressMessage }));
    case "log":
      return patchNode(run, ev.nodeId, (n) => ({ ...n, logs: [...n.logs.slice(-199), { level: ev.level, message: ev.message, ts: ev.ts }] }));
    case "metric":
      return patchNode(run, ev.nodeId, (n) => {
        if (ev.step === undefined) return { ...n, metrics: { ...n.metrics, [ev.name]: ev.value } };
        const s = n.series[ev.name] ?? { x: [], y: [] };
        return { ...n, series: { ...n.series, [ev.name]: { x: [...s.x, ev.step], y: [...s.y, ev.value] } } };
      });
    case "succeeded":
      return patchNode(run, ev.nodeId, (n) => ({ ...n, status: "succeeded", progress: 1, durationMs: ev.durationMs, outputs: ev.outputs, metrics: { ...n.metrics, ...ev.metrics }, cached: false }));
    case "cached":
      return patchNode(run, ev.nodeId, (n) => ({ ...n, status: "cached", progress: 1, durationMs: ev.durationMs, outputs: ev.outputs, metrics: { ...n.metrics, ...ev.metrics }, cached: true }));
    case "failed":
      return patchNode(run, ev.nodeId, (n) => ({ ...n, status: "failed", durationMs: ev.durationMs, error: ev.error }));
    case "skipped":
      return patchNode(run, ev.nodeId, (n) => ({ ...n, status: "skipped", skippedReason: ev.reason }));
    case "cancelled":
      if (ev.nodeId) return patchNode(run, ev.nodeId, (n) => ({ ...n, status: "cancelled" }));
      return run;
    case "run-finished": {
      const nodes = { ...run.nodes };
      if (ev.status === "cancelled")
        for (const [id, n] of Object.entries(nodes)) if (n.status === "running" || n.status === "queued" || n.status === "pending") nodes[id] = { ...n, status: "cancelled" };
      return { ...run, status: ev.status, durationMs: ev.durationMs, error: ev.error, live: false, nodes };
    }
    default:
      return run;
  }
}
