"use client";
/** Published endpoints: slug, live and canary versions, when they changed. */
import Link from "next/link";
import { useEffect, useState } from "react";
import type { EndpointSummary } from "../../server/serving/types";
import { formatAgo, formatTime } from "../_lib/format";
import { ErrorBox, PageShell } from "../_lib/page-shell";
import { describeCallError, trpc } from "../_lib/trpc";
import styles from "./endpoints.module.css";

export default function EndpointsPage() {
  const [items, setItems] = useState<EndpointSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    trpc.endpoints.list.query().then(setItems, (e: unknown) => setError(describeCallError(e).message));
  }, []);

  return (
    <PageShell crumbs="/ Endpoints" ready={!!items}>
      <div className={styles.heading}>
        <h1>Endpoints</h1>
        <span className="muted small">Published workflows, called at <code>POST /api/v1/endpoints/&lt;slug&gt;/predict</code> with an API key.</span>
      </div>
      <ErrorBox message={error} />
      {items === undefined ? (
        !error && <p className="muted">Loading…</p>
      ) : items.length === 0 ? (
        <div className="empty-state">
          <p>Nothing is published yet.</p>
          <p className="muted">Open a workflow, run it, then press <b>Publish…</b> in its top bar.</p>
        </div>
      ) : (
        <table className="grid-table wf-table" data-testid="endpoints-table">
          <thead>
            <tr><th>Endpoint</th><th>Live</th><th>Canary</th><th>Workflow</th><th>Updated</th></tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.slug} data-testid={`endpoint-row-${e.slug}`}>
                <td>
                  <Link href={`/endpoints/${encodeURIComponent(e.slug)}`}><b>{e.name}</b></Link>
                  <div className="muted small mono">{e.slug}</div>
                </td>
                <td>{e.liveVersion ? <span className={`${styles.pill} ${styles.live}`}>v{e.liveVersion}</span> : <span className="muted">none</span>}</td>
                <td>{e.canaryVersion && e.canaryPercent > 0 ? <span className={`${styles.pill} ${styles.canary}`}>v{e.canaryVersion} · {e.canaryPercent}%</span> : <span className="muted">—</span>}</td>
                <td><Link href={`/workflows/${encodeURIComponent(e.workflowId)}`}>open workflow</Link></td>
                <td className="muted" title={formatTime(e.updatedAt)}>{formatAgo(e.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </PageShell>
  );
}
