"use client";
/** Versions (metrics, gate, who published) with Make live, and the rollout controls: canary slider, Rollback. */
import { useEffect, useState } from "react";
import type { EndpointDetail, EndpointVersionSummary } from "../../../server/serving/types";
import { formatAgo, formatNumber, formatTime, metricLabel } from "../../_lib/format";
import { useCan } from "../../_lib/session";
import { describeCallError, trpc } from "../../_lib/trpc";
import styles from "../endpoints.module.css";

const SHOWN_METRICS = ["roc_auc", "accuracy", "f1", "rmse", "r2"];

function Gate({ v }: { v: EndpointVersionSummary }) {
  const failing = v.gate.checks.filter((c) => !c.passed);
  const title = [...v.gate.checks.map((c) => `${c.passed ? "✓" : "✕"} ${c.label}${c.reasons.length ? `: ${c.reasons.join("; ")}` : ""}`), v.gate.override ? `Overridden by ${v.gate.override.by}: ${v.gate.override.reason}` : ""]
    .filter(Boolean)
    .join("\n");
  if (v.gate.override) return <span className={styles.gateOverride} title={title}>overridden</span>;
  if (!v.gate.checks.length) return <span className="muted" title="The workflow has no gate node">no gate</span>;
  return failing.length ? <span className={styles.gateBad} title={title}>{failing.length} failed</span> : <span className={styles.gateOk} title={title}>passed</span>;
}

export function Versions({ detail, onChanged }: { detail: EndpointDetail; onChanged(): void }) {
  const canEdit = useCan("editor");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const candidates = detail.versions.filter((v) => v.version !== detail.liveVersion);
  const [canaryVersion, setCanaryVersion] = useState<number | undefined>(detail.canaryVersion ?? candidates.at(-1)?.version);
  const [percent, setPercent] = useState(detail.canaryPercent || 10);
  useEffect(() => {
    setCanaryVersion(detail.canaryVersion ?? detail.versions.filter((v) => v.version !== detail.liveVersion).at(-1)?.version);
    setPercent(detail.canaryPercent || 10);
  }, [detail.canaryVersion, detail.canaryPercent, detail.liveVersion, detail.versions]);

  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
      onChanged();
    } catch (e) {
      setError(describeCallError(e).message);
    } finally {
      setBusy(false);
    }
  };
  const slug = detail.slug;
  const versions = [...detail.versions].sort((a, b) => b.version - a.version);

  return (
    <section className={styles.section} data-testid="versions">
      <div className={styles.sectionHead}>
        <h2>Versions</h2>
        <span className="spacer" />
        <button
          className="btn btn-danger"
          disabled={!canEdit || busy || detail.versions.length < 2}
          onClick={() => void act(() => trpc.endpoints.rollback.mutate({ slug }))}
          title={canEdit ? "Make the version that was live before the current one live again" : "Rollback needs the editor role"}
          data-testid="rollback"
        >
          ↶ Rollback
        </button>
      </div>
      {error && <div className="error-box" role="alert"><b>{error}</b></div>}
      <table className="grid-table">
        <thead>
          <tr><th>Version</th><th>Traffic</th><th>Key metrics</th><th>Gate</th><th>Workflow</th><th>Published</th><th /></tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-testid={`version-${v.version}`}>
              <td><b>v{v.version}</b></td>
              <td>
                {v.version === detail.liveVersion && <span className={`${styles.pill} ${styles.live}`} data-testid="live-pill">live</span>}{" "}
                {v.version === detail.canaryVersion && detail.canaryPercent > 0 && <span className={`${styles.pill} ${styles.canary}`}>canary {detail.canaryPercent}%</span>}
              </td>
              <td>
                <span className={styles.metrics}>
                  {SHOWN_METRICS.filter((k) => k in v.metrics).map((k) => (
                    <span key={k}><b>{metricLabel(k)}</b>{formatNumber(v.metrics[k])}</span>
                  ))}
                  {!SHOWN_METRICS.some((k) => k in v.metrics) && <span className="muted">—</span>}
                </span>
              </td>
              <td><Gate v={v} /></td>
              <td className="muted">v{v.workflowVersion} · run <span className="mono">{v.runId.slice(0, 8)}</span></td>
              <td title={formatTime(v.createdAt)}>{formatAgo(v.createdAt)}{v.createdBy && <span className="muted small"> by {v.createdBy}</span>}</td>
              <td className="right">
                {v.version !== detail.liveVersion && (
                  <button className="btn btn-small" disabled={!canEdit || busy} onClick={() => void act(() => trpc.endpoints.setLive.mutate({ slug, version: v.version }))} data-testid={`make-live-${v.version}`}>
                    Make live
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <div className={styles.controls} data-testid="canary-controls">
        <b>Canary</b>
        {candidates.length === 0 ? (
          <span className="muted small">Publish another version to send part of the traffic to it before making it live.</span>
        ) : (
          <>
            <select className="input" style={{ width: 90 }} value={canaryVersion ?? ""} onChange={(e) => setCanaryVersion(Number(e.target.value))} disabled={!canEdit} aria-label="Canary version" data-testid="canary-version">
              {candidates.map((v) => (
                <option key={v.version} value={v.version}>v{v.version}</option>
              ))}
            </select>
            <input type="range" min={0} max={100} step={1} value={percent} onChange={(e) => setPercent(Number(e.target.value))} className={styles.slider} disabled={!canEdit} aria-label="Canary traffic percent" data-testid="canary-percent" />
            <span className={styles.percent}>{percent}%</span>
            <button className="btn" disabled={!canEdit || busy || canaryVersion === undefined} onClick={() => void act(() => trpc.endpoints.setCanary.mutate({ slug, version: canaryVersion ?? null, percent }))} data-testid="canary-apply">
              Apply
            </button>
            {detail.canaryVersion !== null && detail.canaryPercent > 0 && (
              <button className="btn" disabled={!canEdit || busy} onClick={() => void act(() => trpc.endpoints.setCanary.mutate({ slug, version: null, percent: 0 }))} data-testid="canary-end">
                End canary
              </button>
            )}
            <span className="muted small">
              {detail.canaryVersion && detail.canaryPercent > 0 ? `Now: ${detail.canaryPercent}% of requests go to v${detail.canaryVersion}, the rest to v${detail.liveVersion}.` : "No canary: every request goes to the live version."}
            </span>
          </>
        )}
      </div>
    </section>
  );
}
