"use client";
/**
 * Save / run / cancel / follow: the editor's side effects around the store. One live subscription at a
 * time; it resumes from the last applied seq, so a reload mid-run continues where the snapshot ends.
 */
import { TRPCClientError } from "@trpc/client";
import { parseWorkflow } from "../../../server/graph/format";
import type { RunRecord } from "../../../server/store/types";
import { describeCallError, trpc } from "../../_lib/trpc";
import { actions, toWorkflow, useEditor } from "./store";

let current: { runId: string; unsubscribe(): void } | undefined;

export function stopFollowing() {
  current?.unsubscribe();
  current = undefined;
}

/** Subscribing again after the stream closed for good: give up after this many tries in a row (about 3 minutes). */
const MAX_RESUBSCRIBES = 20;

/**
 * Follow a run's events after `afterSeq`. A dropped connection (the API server restarting) is resumed from the
 * last applied event, without gaps or repeats, while the page shows "Reconnecting…": the browser's EventSource
 * retries by itself, sending the last event id; when it gives up (a proxy's 502 while the server is away) the
 * run is subscribed again from the store's `lastSeq`. Only an error the server sends (no such run, no access)
 * ends following with a message.
 */
export function followRun(runId: string, afterSeq: number, attempt = 0) {
  stopFollowing();
  let retry: ReturnType<typeof setTimeout> | undefined;
  const sub = trpc.run.onEvents.subscribe(
    { runId, lastEventId: afterSeq > 0 ? String(afterSeq) : undefined },
    {
      onConnectionStateChange: (s) => {
        if (s.state === "pending") attempt = 0;
        // "connecting" with an error: the connection dropped and EventSource is trying again.
        actions.setReconnecting(runId, s.state === "connecting" && (s.error !== null || attempt > 0));
      },
      onData: (t) => {
        actions.applyEvent(t.data);
        if (t.data.type === "run-finished") {
          void refreshRuns();
          const s = t.data.status;
          if (s === "succeeded") actions.toast("success", `Run finished in ${(t.data.durationMs / 1000).toFixed(1)} s`);
          else if (s === "failed") actions.toast("error", t.data.error ?? "The run failed. Select the red node to see why.");
          else if (s === "cancelled") actions.toast("info", "Run cancelled");
        }
      },
      onError: (e) => {
        const fromServer = e instanceof TRPCClientError && e.shape !== undefined;
        if (!fromServer && attempt < MAX_RESUBSCRIBES) {
          actions.setReconnecting(runId, true);
          retry = setTimeout(() => {
            const run = useEditor.getState().run;
            followRun(runId, run?.runId === runId ? run.lastSeq : afterSeq, attempt + 1);
          }, Math.min(1000 * 2 ** attempt, 10_000));
          return;
        }
        actions.setReconnecting(runId, false);
        actions.setLive(runId, false);
        actions.toast("error", `Lost the connection to the run: ${describeCallError(e).message}`);
      },
      onComplete: () => actions.setLive(runId, false),
    },
  );
  current = {
    runId,
    unsubscribe: () => {
      clearTimeout(retry);
      sub.unsubscribe();
    },
  };
}

export async function refreshRuns(): Promise<RunRecord[]> {
  const id = useEditor.getState().workflowId;
  if (!id) return [];
  try {
    const runs = await trpc.run.listForWorkflow.query({ workflowId: id, limit: 30 });
    runs.sort((a, b) => new Date(b.createdAt).getTime() - new Date(a.createdAt).getTime());
    useEditor.setState({ runs });
    return runs;
  } catch {
    return [];
  }
}

export async function loadWorkflow(id: string) {
  stopFollowing();
  const wf = await trpc.workflow.get.query({ id });
  actions.load(wf.id, wf.version, wf.graph);
  const runs = await refreshRuns();
  const latest = runs[0];
  if (latest && !useEditor.getState().run) await showRun(latest.id, { unlessStarted: true });
}

/**
 * Show a run's persisted state; if it is still going, replay its events and keep streaming. `unlessStarted`:
 * opening a workflow shows its latest run, but not over a run started meanwhile (Run pressed while it loaded).
 */
export async function showRun(runId: string, opts: { unlessStarted?: boolean } = {}) {
  const rec = await trpc.run.get.query({ runId });
  if (opts.unlessStarted && useEditor.getState().run) return;
  const live = rec.status === "queued" || rec.status === "running";
  if (current && current.runId !== runId) stopFollowing();
  if (!live) return actions.showRunRecord(rec, false);
  // Replay a live run from its first event: the snapshot holds node states, but learning-curve points and
  // logs live only in the event stream; replaying over the snapshot ends in the same states.
  actions.showRunRecord({ ...rec, lastSeq: 0 }, true);
  followRun(rec.id, 0);
}

export async function save(message?: string): Promise<boolean> {
  const s = useEditor.getState();
  if (!s.workflowId) return false;
  try {
    const rec = await trpc.workflow.save.mutate({ id: s.workflowId, graph: toWorkflow(), message });
    actions.saved(rec.version);
    return true;
  } catch (e) {
    const d = describeCallError(e);
    actions.toast("error", d.message, d.problems);
    return false;
  }
}

export async function run() {
  const s = useEditor.getState();
  if (!s.workflowId) return;
  if (s.dirty || s.version === 0) {
    if (!(await save("Saved before run"))) return;
  }
  try {
    const { runId } = await trpc.run.start.mutate({ workflowId: s.workflowId });
    actions.runStarted(runId);
    followRun(runId, 0);
    void refreshRuns();
  } catch (e) {
    const d = describeCallError(e);
    if (d.issues?.length) actions.setAnalysis(d.issues, useEditor.getState().infos);
    actions.toast("error", d.message, d.issues && d.issues.length > 1 ? d.issues.map((i) => i.message) : undefined);
  }
}

export async function cancel() {
  const runId = useEditor.getState().run?.runId;
  if (!runId) return;
  try {
    await trpc.run.cancel.mutate({ runId });
  } catch (e) {
    actions.toast("error", describeCallError(e).message);
  }
}

export function exportJson() {
  const wf = toWorkflow();
  const blob = new Blob([JSON.stringify(wf, null, 2)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${wf.name.replace(/[^\w.-]+/g, "_") || "workflow"}.workflow.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Replace this workflow's graph with an imported file (saved as a new version on Save). */
export async function importJsonInto(file: File) {
  let doc: unknown;
  try {
    doc = JSON.parse(await file.text());
  } catch {
    actions.toast("error", `“${file.name}” is not a JSON file.`);
    return;
  }
  const r = parseWorkflow(doc);
  if (!r.ok) {
    actions.toast("error", `“${file.name}” is not a valid Lattice workflow.`, r.problems.slice(0, 6));
    return;
  }
  const s = useEditor.getState();
  stopFollowing();
  actions.load(s.workflowId!, s.version, r.workflow);
  useEditor.setState({ dirty: true });
  actions.toast("info", `Imported “${r.workflow.name}”. Save to keep it as a new version.`);
}
