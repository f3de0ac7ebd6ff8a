"use client";
/**
 * Model registry page: every model a Training node produced (name, version, algorithm, key metrics, when)
 * with its lineage: the workflow version it came from (linked), the run and a short data hash.
 */
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import type { RegisteredModelRecord } from "../../server/store/types";
import { formatAgo, formatNumber, formatTime, metricLabel } from "../_lib/format";
import { NavLinks, UserMenu } from "../_lib/nav";
import { describeCallError, trpc } from "../_lib/trpc";
import styles from "./page.module.css";

/** Metrics shown in the table, in this order of preference; the rest are in the tooltip. */
const KEY_METRICS = ["roc_auc", "accuracy", "f1", "rmse", "r2", "mae", "val_loss", "loss"];
const SHOWN = 3;

function keyMetrics(metrics: Record<string, number>): Array<[string, number]> {
  const known = KEY_METRICS.filter((k) => k in metrics).map((k): [string, number] => [k, metrics[k]!]);
  const rest = Object.entries(metrics).filter(([k]) => !KEY_METRICS.includes(k));
  return [...known, ...rest].slice(0, SHOWN);
}

const short = (hash: string | null | undefined) => (hash ? hash.slice(0, 10) : "—");

export default function ModelsPage() {
  const [models, setModels] = useState<RegisteredModelRecord[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [filter, setFilter] = useState("");

  useEffect(() => {
    trpc.models.list.query().then(setModels, (e: unknown) => setError(describeCallError(e).message));
  }, []);

  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    return q ? models?.filter((m) => m.name.toLowerCase().includes(q) || m.algorithm.toLowerCase().includes(q)) : models;
  }, [models, filter]);

  return (
    <div className={styles.page} data-ready={models ? "true" : undefined}>
      <header className="topbar">
        <Link href="/" className="brand"><span className="logo">◆</span> Lattice</Link>
        <span className="muted">/ Models</span>
        <NavLinks />
        <div className="spacer" />
        <UserMenu />
      </header>
      <main className={styles.main}>
        <div className={styles.heading}>
          <h1>Model registry</h1>
          <span className="muted small">Every model a training node produced, with the workflow version, run and data it came from.</span>
          <input className={styles.filter} placeholder="Filter by name or algorithm" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter models" />
        </div>
        {error && (
          <div className="error-box" role="alert">
            <b>{error}</b>
          </div>
        )}
        {shown === undefined ? (
          !error && <p className="muted">Loading…</p>
        ) : shown.length === 0 ? (
          <div className="empty-state">
            {models?.length ? <p>No model matches “{filter}”.</p> : <><p>No models registered yet.</p><p className="muted">Run a workflow with a training node (Logistic regression, MLP, Gradient boosting); each trained model appears here.</p></>}
          </div>
        ) : (
          <table className="grid-table" data-testid="models-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Version</th>
                <th>Algorithm</th>
                <th>Key metrics</th>
                <th>Created</th>
                <th>Lineage</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((m) => (
                <tr key={m.id} data-testid={`model-${m.name}-v${m.version}`}>
                  <td><b>{m.name}</b></td>
                  <td className={styles.version}>v{m.version}</td>
                  <td>{m.algorithm}{m.task && <span className="muted small"> · {m.task}</span>}</td>
                  <td title={Object.entries(m.metrics).map(([k, v]) => `${metricLabel(k)}: ${formatNumber(v)}`).join("\n")}>
                    <span className={styles.metrics}>
                      {keyMetrics(m.metrics).map(([k, v]) => (
                        <span key={k} className={styles.metric}><b>{metricLabel(k)}</b>{formatNumber(v)}</span>
                      ))}
                      {Object.keys(m.metrics).length === 0 && <span className="muted">—</span>}
                    </span>
                  </td>
                  <td title={formatTime(m.createdAt)} className="muted">{formatAgo(m.createdAt)}</td>
                  <td>
                    <div className={styles.lineage}>
                      {m.lineage.workflowId ? (
                        <Link href={`/workflows/${encodeURIComponent(m.lineage.workflowId)}`}>
                          workflow{m.lineage.workflowVersion ? ` v${m.lineage.workflowVersion}` : ""}
                        </Link>
                      ) : (
                        <span className="muted">unsaved workflow</span>
                      )}
                      <span>run <span className={styles.hash} title={m.lineage.runId}>{m.lineage.runId.slice(0, 8)}</span> · node {m.lineage.nodeId}</span>
                      <span>data <span className={styles.hash} title={m.lineage.dataHash ?? "unknown"}>{short(m.lineage.dataHash)}</span></span>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </main>
    </div>
  );
}
