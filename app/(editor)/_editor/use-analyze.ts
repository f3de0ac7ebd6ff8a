"use client";
/** Re-analyze the graph (server: probes files, compiles) shortly after any change that is not a move. */
import { useEffect } from "react";
import { describeCallError, trpc } from "../../_lib/trpc";
import { actions, toWorkflow, useEditor } from "./store";

function signature(): string {
  const wf = toWorkflow();
  return JSON.stringify({ n: wf.nodes.map((n) => [n.id, n.kind, n.version, n.params]), e: wf.edges.map((e) => [e.source, e.sourcePort, e.target, e.targetPort]) });
}

export function useAnalyze(delayMs = 350) {
  useEffect(() => {
    let last = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ticket = 0;
    const schedule = () => {
      if (!useEditor.getState().workflowId) return;
      const sig = signature();
      if (sig === last) return;
      last = sig;
      if (timer) clearTimeout(timer);
      actions.setAnalyzing(true);
      timer = setTimeout(async () => {
        const mine = ++ticket;
        const wf = toWorkflow();
        try {
          const r = await trpc.graph.analyze.query({ workflow: wf });
          if (mine === ticket) actions.setAnalysis(r.issues, r.infos);
        } catch (e) {
          if (mine === ticket) {
            actions.setAnalyzing(false);
            actions.toast("error", `Could not check the workflow: ${describeCallError(e).message}`);
          }
        }
      }, delayMs);
    };
    schedule();
    const unsub = useEditor.subscribe((s, prev) => {
      if (s.nodes !== prev.nodes || s.edges !== prev.edges || s.workflowId !== prev.workflowId) schedule();
    });
    return () => {
      unsub();
      if (timer) clearTimeout(timer);
    };
  }, [delayMs]);
}
