"use client";
/** Right panel for the selected node: Settings (label + generated form + problems) and Output tabs. */
import { useShallow } from "zustand/react/shallow";
import { PORT_TYPE_LABEL } from "../../../nodes/core/ports";
import { CATEGORY_COLOR, nodePorts, registry } from "../../_lib/nodes";
import { OutputView } from "./output-view";
import { ParamForm, visibleParamNames } from "./param-form";
import { actions, useEditor } from "./store";

export function Inspector() {
  const selectedId = useEditor((s) => s.selectedId);
  const node = useEditor((s) => s.nodes.find((n) => n.id === s.selectedId));
  const tab = useEditor((s) => s.inspectorTab);
  const state = useEditor((s) => (s.selectedId ? s.run?.nodes[s.selectedId] : undefined));
  const issues = useEditor(useShallow((s) => s.issues.filter((i) => i.nodeId === s.selectedId)));
  if (!selectedId || !node) {
    return (
      <aside className="inspector empty">
        <p className="muted">Select a node to edit its settings and see its results.</p>
        <WorkflowProblems />
      </aside>
    );
  }
  const def = registry.get(node.data.kind);
  if (!def) return <aside className="inspector"><p>Unknown node type “{node.data.kind}”.</p></aside>;
  // Issues about one setting are shown under that setting by the form; the list here has the rest.
  const fields = visibleParamNames(def);
  const general = issues.filter((i) => !(i.field && fields.has(i.field)));
  return (
    <aside className="inspector" data-testid="inspector">
      <header className="inspector-head">
        <div className="muted small" style={{ color: CATEGORY_COLOR[def.category] }}>{def.category} · {def.kind} v{def.version}</div>
        <input className="title-input" value={node.data.label ?? ""} placeholder={def.title} onChange={(e) => actions.setLabel(node.id, e.target.value)} aria-label="Node label" data-testid="node-label-input" />
        <p className="desc">{def.description}</p>
        <div className="inspector-actions">
          <button className="btn-link err" onClick={() => actions.removeNode(node.id)} data-testid="delete-node">Delete node</button>
        </div>
      </header>
      <nav className="tabs">
        <button className={tab === "settings" ? "active" : ""} onClick={() => actions.setTab("settings")} data-testid="tab-settings">Settings</button>
        <button className={tab === "output" ? "active" : ""} onClick={() => actions.setTab("output")} data-testid="tab-output">
          Output{state && state.status !== "pending" ? <span className={`dot dot-${state.status}`} /> : null}
        </button>
      </nav>
      <div className="inspector-body">
        {tab === "settings" ? (
          <>
            {general.length > 0 && (
              <div className="issues" data-testid="inspector-issues">
                {general.map((i, k) => (
                  <div key={k} className={`issue issue-${i.severity}`}>{i.message}</div>
                ))}
              </div>
            )}
            <ParamForm nodeId={node.id} def={def} params={node.data.params} />
            <div className="ports-doc">
              <h5>Ports</h5>
              {Object.entries(nodePorts(def, node.data.params).inputs).map(([n, p]) => (
                <div key={`i${n}`} className="muted small">in · {p.label ?? n}: {PORT_TYPE_LABEL[p.type]}{p.optional ? " (optional)" : ""}</div>
              ))}
              {Object.entries(nodePorts(def, node.data.params).outputs).map(([n, p]) => (
                <div key={`o${n}`} className="muted small">out · {p.label ?? n}: {PORT_TYPE_LABEL[p.type]}</div>
              ))}
            </div>
          </>
        ) : (
          <OutputView def={def} params={node.data.params} state={state} />
        )}
      </div>
    </aside>
  );
}

function WorkflowProblems() {
  const issues = useEditor((s) => s.issues);
  const nodes = useEditor((s) => s.nodes);
  if (!issues.length) return nodes.length ? <p className="ok small">No problems found.</p> : null;
  return (
    <div className="issues">
      <h5>Problems ({issues.length})</h5>
      {issues.map((i, k) => (
        <button key={k} className={`issue issue-${i.severity} clickable`} onClick={() => i.nodeId && actions.select(i.nodeId, "settings")}>
          {i.message}
        </button>
      ))}
    </div>
  );
}
