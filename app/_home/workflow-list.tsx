"use client";
/** Start page: workflows (name, versions, last run, updated), New, Import JSON, examples, open, delete. */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";
import type { WorkflowSummary } from "../../server/store/types";
import type { ExampleSummary } from "../../server/trpc/routers/workflow";
import { formatAgo } from "../_lib/format";
import { NavLinks, UserMenu } from "../_lib/nav";
import { useCan } from "../_lib/session";
import { describeCallError, trpc } from "../_lib/trpc";

const EDITOR_ONLY = "Creating workflows needs the editor role; ask an admin.";

export function WorkflowList() {
  const router = useRouter();
  const [items, setItems] = useState<WorkflowSummary[] | undefined>();
  const [examples, setExamples] = useState<ExampleSummary[]>([]);
  const [error, setError] = useState<{ message: string; problems?: string[] } | undefined>();
  // Until hydration, clicks would be lost: buttons stay disabled and tests wait for data-ready.
  const [busy, setBusy] = useState(true);
  const file = useRef<HTMLInputElement>(null);
  const canEdit = useCan("editor");

  const refresh = useCallback(() => {
    trpc.workflow.list.query().then(
      (l) => setItems([...l].sort((a, b) => new Date(b.updatedAt).getTime() - new Date(a.updatedAt).getTime())),
      (e: unknown) => setError(describeCallError(e)),
    );
  }, []);
  useEffect(() => {
    setBusy(false);
    refresh();
    trpc.workflow.examples.query().then(setExamples, () => setExamples([]));
  }, [refresh]);

  const act = async (f: () => Promise<{ id: string }>) => {
    setBusy(true);
    setError(undefined);
    try {
      const { id } = await f();
      router.push(`/workflows/${encodeURIComponent(id)}`);
    } catch (e) {
      setError(describeCallError(e));
      setBusy(false);
    }
  };

  const remove = async (w: WorkflowSummary) => {
    if (!window.confirm(`Delete “${w.name}” and its ${w.latestVersion} version(s) and run history?`)) return;
    try {
      await trpc.workflow.delete.mutate({ id: w.id });
      refresh();
    } catch (e) {
      setError(describeCallError(e));
    }
  };

  return (
    <div className="home" data-ready={busy ? undefined : "true"}>
      <header className="topbar">
        <span className="brand"><span className="logo">◆</span> Lattice</span>
        <NavLinks />
        <div className="spacer" />
        <button className="btn" onClick={() => file.current?.click()} disabled={busy || !canEdit} title={canEdit ? undefined : EDITOR_ONLY} data-testid="import-json">Import JSON…</button>
        <input
          ref={file}
          type="file"
          accept=".json,application/json"
          hidden
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = "";
            if (f) void act(async () => trpc.workflow.import.mutate({ text: await f.text() }));
          }}
        />
        <button className="btn btn-primary" onClick={() => void act(() => trpc.workflow.create.mutate({ name: "Untitled workflow" }))} disabled={busy || !canEdit} title={canEdit ? undefined : EDITOR_ONLY} data-testid="new-workflow">
          + New workflow
        </button>
        <UserMenu />
      </header>
      <main className="home-main">
        {error && (
          <div className="error-box" role="alert">
            <b>{error.message}</b>
            {error.problems && error.problems.length > 1 && (
              <ul>
                {error.problems.map((p, i) => (
                  <li key={i}>{p}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        {examples.length > 0 && (
          <section>
            <h2>Start from an example</h2>
            <div className="cards">
              {examples.map((x) => (
                <button key={x.file} className="card" disabled={busy || !canEdit} title={canEdit ? undefined : EDITOR_ONLY} onClick={() => void act(() => trpc.workflow.createFromExample.mutate({ file: x.file }))} data-testid={`example-${x.file}`}>
                  <b>{x.name}</b>
                  <span className="muted small">{x.description ?? `${x.nodes} nodes`}</span>
                </button>
              ))}
            </div>
          </section>
        )}
        <section>
          <h2>Workflows</h2>
          {items === undefined ? (
            <p className="muted">Loading…</p>
          ) : items.length === 0 ? (
            <div className="empty-state">
              <p>No workflows yet.</p>
              <p className="muted">Create one with <b>New workflow</b>, import a Workflow JSON file, or start from an example.</p>
            </div>
          ) : (
            <table className="grid-table wf-table" data-testid="workflow-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Versions</th>
                  <th>Last run</th>
                  <th>Updated</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((w) => (
                  <tr key={w.id} onClick={() => router.push(`/workflows/${encodeURIComponent(w.id)}`)} className="clickable">
                    <td>
                      <Link href={`/workflows/${encodeURIComponent(w.id)}`} onClick={(e) => e.stopPropagation()}><b>{w.name}</b></Link>
                      {w.description && <div className="muted small" style={{ whiteSpace: "normal", maxWidth: 640 }}>{w.description}</div>}
                    </td>
                    <td>v{w.latestVersion}</td>
                    <td>{w.lastRun ? <span className={`badge badge-${w.lastRun.status}`}>{w.lastRun.status}</span> : <span className="muted">never run</span>}{w.lastRun && <span className="muted small"> {formatAgo(w.lastRun.startedAt)}</span>}</td>
                    <td className="muted">{formatAgo(w.updatedAt)}</td>
                    <td className="right">
                      {canEdit && <button className="btn-link err" onClick={(e) => { e.stopPropagation(); void remove(w); }} title="Delete">Delete</button>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </main>
    </div>
  );
}
