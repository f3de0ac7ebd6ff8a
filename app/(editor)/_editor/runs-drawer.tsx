"use client";
/** Run history of this workflow; picking a run shows its node states on the canvas. */
import { formatDuration, formatTime } from "../../_lib/format";
import { describeCallError } from "../../_lib/trpc";
import { showRun } from "./run-control";
import { actions, useEditor } from "./store";

export function RunsDrawer() {
  const open = useEditor((s) => s.runsOpen);
  const runs = useEditor((s) => s.runs);
  const shown = useEditor((s) => s.run);
  if (!open) return null;
  const info = shown ? Object.entries(shown.info ?? {}).filter(([, v]) => v != null && typeof v !== "object") : [];
  return (
    <aside className="runs-drawer" data-testid="runs-drawer">
      <header>
        <b>Runs</b>
        <button className="btn-link" onClick={() => actions.toggleRuns(false)} aria-label="Close">✕</button>
      </header>
      {runs.length === 0 && <p className="muted pad">No runs yet. Press Run.</p>}
      <ul>
        {runs.map((r) => (
          <li key={r.id} className={shown?.runId === r.id ? "active" : ""}>
            <button onClick={() => showRun(r.id).catch((e: unknown) => actions.toast("error", describeCallError(e).message))} data-testid="run-item">
              <span className={`badge badge-${r.status}`}>{r.status}</span>
              <span>{formatTime(r.startedAt ?? r.createdAt)}</span>
              <span className="muted">{formatDuration(r.durationMs)}</span>
            </button>
          </li>
        ))}
      </ul>
      {shown && (
        <div className="run-info">
          <h5>Shown run</h5>
          <div className="muted small mono">{shown.runId}</div>
          {info.map(([k, v]) => (
            <div key={k} className="kv"><span>{k}</span><b>{String(v)}</b></div>
          ))}
          {shown.error && <div className="field-error">{shown.error}</div>}
        </div>
      )}
    </aside>
  );
}
