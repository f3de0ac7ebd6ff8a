"use client";
/**
 * Workers page: which processes run nodes (queued workers, or this API process in embedded mode), with their
 * TensorFlow.js backend, GPU, concurrency and heartbeat, and each pool's queue depth. Refreshes every 2 s.
 */
import Link from "next/link";
import { useEffect, useState } from "react";
import type { WorkersOverview } from "../../server/engine/services";
import { formatAgo } from "../_lib/format";
import { NavLinks, UserMenu } from "../_lib/nav";
import { describeCallError, trpc } from "../_lib/trpc";
import styles from "../models/page.module.css";

export default function WorkersPage() {
  const [data, setData] = useState<WorkersOverview | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let stop = false;
    const load = () =>
      trpc.system.workers.query().then(
        (d) => !stop && (setData(d), setError(undefined)),
        (e: unknown) => !stop && setError(describeCallError(e).message),
      );
    void load();
    const t = setInterval(load, 2000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);

  return (
    <div className={styles.page} data-ready={data ? "true" : undefined}>
      <header className="topbar">
        <Link href="/" className="brand"><span className="logo">◆</span> Lattice</Link>
        <span className="muted">/ Workers</span>
        <NavLinks />
        <div className="spacer" />
        <UserMenu />
      </header>
      <main className={styles.main}>
        <div className={styles.heading}>
          <h1>Workers</h1>
          <span className="muted small" data-testid="workers-mode">
            {data?.mode === "queue"
              ? "Queue mode: node jobs go to BullMQ; each worker process below takes jobs from its pools."
              : data
                ? "Embedded mode: this server runs every node itself (set REDIS_URL and start `npm run worker` to scale out)."
                : ""}
          </span>
        </div>
        {error && (
          <div className="error-box" role="alert">
            <b>{error}</b>
          </div>
        )}
        {data && data.pools.length > 0 && (
          <table className="grid-table" data-testid="pool-depths" style={{ marginBottom: 16 }}>
            <thead>
              <tr><th>Pool</th><th>Waiting</th><th>Active</th><th>Delayed</th><th>Failed</th><th>Completed</th></tr>
            </thead>
            <tbody>
              {data.pools.map((p) => (
                <tr key={p.pool}>
                  <td><b>{p.pool}</b></td><td>{p.waiting}</td><td>{p.active}</td><td>{p.delayed}</td><td>{p.failed}</td><td>{p.completed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {data && (
          <table className="grid-table" data-testid="workers">
            <thead>
              <tr><th>Worker</th><th>Pools</th><th>Concurrency</th><th>TensorFlow.js</th><th>GPU</th><th>Active</th><th>Done / failed</th><th>Started</th><th>Heartbeat</th></tr>
            </thead>
            <tbody>
              {data.workers.length === 0 ? (
                <tr><td colSpan={9} className="muted">No worker is alive. Start one with <code>npm run worker</code> on any machine sharing DATABASE_URL, REDIS_URL and the artifact folder.</td></tr>
              ) : (
                data.workers.map((w) => (
                  <tr key={w.id} data-testid="worker-row">
                    <td><b>{w.hostname}</b> <span className="muted small">pid {w.pid}</span></td>
                    <td>{w.pools.join(", ")}</td>
                    <td>{w.concurrency}</td>
                    <td>{w.tfBackend}</td>
                    <td>{w.gpu ? `${w.gpu.name}${w.gpu.memoryMB ? ` (${Math.round(w.gpu.memoryMB / 1024)} GiB)` : ""}` : "—"}</td>
                    <td>{w.active}</td>
                    <td>{w.processed === undefined ? "—" : `${w.processed} / ${w.failed ?? 0}`}</td>
                    <td>{formatAgo(new Date(w.startedAt))}</td>
                    <td>{formatAgo(new Date(w.heartbeatAt))}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        )}
      </main>
    </div>
  );
}
