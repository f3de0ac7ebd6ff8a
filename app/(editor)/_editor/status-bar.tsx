"use client";
/** Bottom bar: analysis state, problem count, and where runs execute (executor, TensorFlow.js backend). */
import { useEffect, useState } from "react";
import { trpc } from "../../_lib/trpc";
import { actions, useEditor } from "./store";

export function StatusBar() {
  const [info, setInfo] = useState<Record<string, string>>({});
  const analyzing = useEditor((s) => s.analyzing);
  const issues = useEditor((s) => s.issues);
  const nodes = useEditor((s) => s.nodes.length);
  const runStatus = useEditor((s) => s.run?.status);
  const edgeSelected = useEditor((s) => s.edges.some((e) => e.selected));
  // Refreshed when a run changes state: the TensorFlow.js backend is only known once a model trained.
  useEffect(() => {
    trpc.system.info.query().then(setInfo, () => setInfo({}));
  }, [runStatus]);
  const errors = issues.filter((i) => i.severity === "error");
  const warnings = issues.length - errors.length;
  const first = errors[0] ?? issues[0];
  return (
    <footer className="statusbar">
      <span>{nodes} node{nodes === 1 ? "" : "s"}</span>
      {analyzing ? (
        <span className="muted">Checking…</span>
      ) : errors.length ? (
        <button className="btn-link err" onClick={() => first?.nodeId && actions.select(first.nodeId, "settings")} data-testid="problem-count">
          ⚠ {errors.length} problem{errors.length === 1 ? "" : "s"}
        </button>
      ) : nodes ? (
        <span className="ok">✓ Ready to run</span>
      ) : null}
      {edgeSelected && (
        <button className="btn-link err" onClick={actions.removeSelectedEdges} data-testid="delete-edge">Delete selected connection</button>
      )}
      {warnings > 0 && <span className="warn">{warnings} warning{warnings === 1 ? "" : "s"}</span>}
      <div className="spacer" />
      {Object.entries(info).map(([k, v]) => (
        <span key={k} className="muted" title={k}>{k}: {v}</span>
      ))}
    </footer>
  );
}
