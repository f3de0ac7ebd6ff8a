"use client";
/** Workflow name, Save, Run/Cancel, Export/Import, Runs drawer toggle. */
import Link from "next/link";
import { useRef, useState } from "react";
import { formatDuration } from "../../_lib/format";
import { UserMenu } from "../../_lib/nav";
import { useCan } from "../../_lib/session";
import { PublishDialog } from "./publish-dialog";
import { cancel, exportJson, importJsonInto, run, save } from "./run-control";
import { actions, useEditor } from "./store";

export function TopBar() {
  const name = useEditor((s) => s.name);
  const version = useEditor((s) => s.version);
  const dirty = useEditor((s) => s.dirty);
  const runStatus = useEditor((s) => s.run?.status);
  const live = useEditor((s) => s.run?.live ?? false);
  const reconnecting = useEditor((s) => s.run?.reconnecting ?? false);
  const runDuration = useEditor((s) => s.run?.durationMs);
  const runsOpen = useEditor((s) => s.runsOpen);
  const errorCount = useEditor((s) => s.issues.filter((i) => i.severity === "error").length);
  const file = useRef<HTMLInputElement>(null);
  const [publishing, setPublishing] = useState(false);
  const canEdit = useCan("editor");
  const running = live && (runStatus === "running" || runStatus === "queued");
  return (
    <header className="topbar">
      <Link href="/" className="brand" title="All workflows">
        <span className="logo">◆</span> Lattice
      </Link>
      <span className="crumb">/</span>
      <input className="wf-name" value={name} onChange={(e) => actions.setName(e.target.value)} aria-label="Workflow name" data-testid="workflow-name" />
      <span className="version" title="Saved versions are immutable">{version ? `v${version}` : "new"}</span>
      {dirty && <span className="dirty" title="Unsaved changes" data-testid="dirty">● unsaved</span>}
      <div className="spacer" />
      {runStatus && (
        <span className={`run-pill run-${runStatus}`} data-testid="run-status" data-status={runStatus}>
          {running ? <span className="spinner" /> : null}
          {runStatus === "succeeded" ? "Succeeded" : runStatus === "failed" ? "Failed" : runStatus === "cancelled" ? "Cancelled" : runStatus === "queued" ? "Queued" : "Running"}
          {runDuration != null && !running ? ` · ${formatDuration(runDuration)}` : ""}
        </span>
      )}
      {running && reconnecting && (
        <span className="run-pill run-reconnecting" data-testid="run-connection" data-state="reconnecting" title="The connection to the server dropped; the run goes on there and is shown again from where it left off once the server answers">
          <span className="spinner" />
          Reconnecting…
        </span>
      )}
      <button className="btn" onClick={() => file.current?.click()} title="Replace this graph with a Workflow JSON file">Import</button>
      <input ref={file} type="file" accept=".json,application/json" hidden onChange={(e) => { const f = e.target.files?.[0]; if (f) void importJsonInto(f); e.target.value = ""; }} />
      <button className="btn" onClick={exportJson} title="Download as Workflow JSON">Export</button>
      <button className={`btn${runsOpen ? " active" : ""}`} onClick={() => actions.toggleRuns()} data-testid="runs-toggle">Runs</button>
      <button className="btn" onClick={() => void save()} disabled={!dirty || !canEdit} data-testid="save" title={canEdit ? "Save a new version (Ctrl+S)" : "Saving needs the editor role"}>Save</button>
      {running ? (
        <button className="btn btn-danger" onClick={() => void cancel()} data-testid="cancel">■ Cancel</button>
      ) : (
        <button className="btn btn-primary" onClick={() => void run()} disabled={!canEdit} data-testid="run" title={!canEdit ? "Running needs the editor role" : errorCount ? `${errorCount} problem(s) to fix first` : "Save and run"}>
          ▶ Run
        </button>
      )}
      <button
        className="btn"
        onClick={() => setPublishing(true)}
        disabled={!canEdit || running || !version}
        data-testid="publish"
        title={!canEdit ? "Publishing needs the editor role; ask an admin" : !version ? "Save and run the workflow first" : "Publish the trained workflow as an HTTP endpoint"}
      >
        Publish…
      </button>
      <UserMenu />
      {publishing && <PublishDialog onClose={() => setPublishing(false)} />}
    </header>
  );
}
