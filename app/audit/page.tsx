"use client";
/** Audit log (admins): publishes, rollbacks, canary and live changes, keys, role changes, gate overrides. */
import { useEffect, useState } from "react";
import type { AuditRecord } from "../../server/serving/types";
import { formatAgo, formatTime } from "../_lib/format";
import { ErrorBox, PageShell } from "../_lib/page-shell";
import { describeCallError, trpc } from "../_lib/trpc";
import styles from "../endpoints/endpoints.module.css";

const ACTIONS: Record<string, string> = {
  "endpoint.publish": "Published",
  "endpoint.rollback": "Rolled back",
  "endpoint.live": "Made live",
  "endpoint.canary": "Canary",
  "key.create": "Created key",
  "key.revoke": "Revoked key",
  "user.role": "Changed role",
  "gate.override": "Overrode gate",
};

function details(d: Record<string, unknown>): string {
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

export default function AuditPage() {
  const [items, setItems] = useState<AuditRecord[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [target, setTarget] = useState("");

  useEffect(() => {
    const t = new URLSearchParams(window.location.search).get("target") ?? "";
    setTarget(t);
  }, []);
  useEffect(() => {
    trpc.endpoints.audit.query({ target: target || undefined, limit: 500 }).then(setItems, (e: unknown) => setError(describeCallError(e).message));
  }, [target]);

  return (
    <PageShell crumbs="/ Audit log" ready={!!items || !!error}>
      <div className={styles.heading}>
        <h1>Audit log</h1>
        <span className="muted small">Every publish, rollback, traffic change, API key, role change and gate override, newest first.</span>
        <span className="spacer" />
        {target && (
          <span className="small">
            Only <code>{target}</code> · <button className="btn-link" onClick={() => setTarget("")}>show all</button>
          </span>
        )}
      </div>
      <ErrorBox message={error} />
      {items &&
        (items.length === 0 ? (
          <div className="empty-state"><p>Nothing recorded yet.</p></div>
        ) : (
          <table className="grid-table wf-table" data-testid="audit-table">
            <thead>
              <tr><th>When</th><th>Who</th><th>What</th><th>On</th><th>Details</th></tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-testid={`audit-${a.action}`}>
                  <td title={formatTime(a.at)}>{formatAgo(a.at)}</td>
                  <td>{a.actorEmail ?? <span className="muted">system</span>}</td>
                  <td><b>{ACTIONS[a.action] ?? a.action}</b> <span className="muted small mono">{a.action}</span></td>
                  <td>
                    <button className="btn-link mono" onClick={() => setTarget(a.target)} title="Only this target">{a.target}</button>
                  </td>
                  <td className={styles.details}>{details(a.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </PageShell>
  );
}
