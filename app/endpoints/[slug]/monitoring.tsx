"use client";
/**
 * Requests, errors and latency of each serving version, and input drift: the population stability index of
 * served inputs against the training data, one bar per feature over the usual bands (< 0.1 stable,
 * 0.1–0.25 moderate shift, > 0.25 major shift).
 */
import type { EndpointDetail, FeatureDrift } from "../../../server/serving/types";
import { formatNumber } from "../../_lib/format";
import styles from "../endpoints.module.css";

const ms = (v: number | null) => (v === null ? "—" : `${v < 10 ? v.toFixed(2) : Math.round(v)} ms`);

export function Stats({ detail }: { detail: EndpointDetail }) {
  const versions = Object.keys(detail.stats).map(Number).sort((a, b) => b - a);
  const live = detail.liveVersion !== null ? detail.stats[detail.liveVersion] : undefined;
  return (
    <section className={styles.section} data-testid="stats">
      <h2>
        Traffic{" "}
        {detail.liveVersion !== null && (
          <span className="muted small" data-testid="stats-scope">
            {detail.statsScope === "fleet"
              ? `live v${detail.liveVersion}, all API servers since it was published (latency: last 15 minutes)`
              : `live v${detail.liveVersion}, since this server started`}
          </span>
        )}
      </h2>
      <div className={styles.cards}>
        <div className={styles.card}><span className="muted small">Requests</span><b data-testid="stat-requests">{live?.requests ?? 0}</b></div>
        <div className={styles.card}><span className="muted small">Errors</span><b className={live?.errors ? "err" : undefined}>{live?.errors ?? 0}</b></div>
        <div className={styles.card}><span className="muted small">p50 latency</span><b>{ms(live?.p50Ms ?? null)}</b></div>
        <div className={styles.card}><span className="muted small">p99 latency</span><b>{ms(live?.p99Ms ?? null)}</b></div>
      </div>
      {versions.length > 1 && (
        <table className="grid-table">
          <thead>
            <tr><th>Version</th><th>Requests</th><th>Errors</th><th>p50</th><th>p99</th><th>Prediction mean</th></tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const s = detail.stats[v]!;
              return (
                <tr key={v}>
                  <td>v{v}</td><td>{s.requests}</td><td>{s.errors}</td><td>{ms(s.p50Ms)}</td><td>{ms(s.p99Ms)}</td><td>{formatNumber(s.predictionMean)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

const BANDS = [
  { from: 0, to: 0.1, fill: "#dcfce7", label: "stable" },
  { from: 0.1, to: 0.25, fill: "#fef3c7", label: "moderate" },
  { from: 0.25, to: Infinity, fill: "#fee2e2", label: "major shift" },
];
const barColor = (psi: number) => (psi < 0.1 ? "#16a34a" : psi < 0.25 ? "#d97706" : "#dc2626");

/** Horizontal bars of PSI per feature, drawn over the three bands. */
export function DriftChart({ drift }: { drift: FeatureDrift[] }) {
  const rows = [...drift].sort((a, b) => (b.psi ?? -1) - (a.psi ?? -1));
  const maxPsi = Math.max(0.35, ...rows.map((r) => r.psi ?? 0)) * 1.05;
  const labelW = 150;
  const plotW = 420;
  const rowH = 20;
  const top = 18;
  const height = top + rows.length * rowH + 22;
  const x = (v: number) => labelW + (Math.min(v, maxPsi) / maxPsi) * plotW;
  return (
    <svg className={styles.drift} width={labelW + plotW + 70} height={height} role="img" aria-label="Input drift (PSI per feature)" data-testid="drift-chart">
      {BANDS.map((b) => (
        <g key={b.label}>
          <rect x={x(b.from)} y={top} width={x(Math.min(b.to, maxPsi)) - x(b.from)} height={rows.length * rowH} fill={b.fill} />
          <text x={x(b.from) + 4} y={top - 5} className={styles.tick}>{b.label}</text>
        </g>
      ))}
      {[0.1, 0.25].map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={top} y2={top + rows.length * rowH} stroke="#9ca3af" strokeDasharray="3 3" />
          <text x={x(t)} y={top + rows.length * rowH + 14} textAnchor="middle" className={styles.tick}>{t}</text>
        </g>
      ))}
      {rows.map((r, i) => {
        const y = top + i * rowH;
        return (
          <g key={r.feature} data-testid={`drift-${r.feature}`}>
            <text x={labelW - 8} y={y + rowH / 2 + 4} textAnchor="end">{r.feature.length > 22 ? `${r.feature.slice(0, 21)}…` : r.feature}</text>
            {r.psi === null ? (
              <text x={labelW + 6} y={y + rowH / 2 + 4} className={styles.tick} style={{ paintOrder: "stroke", stroke: "#fff", strokeWidth: 3 }}>
                waiting for more requests ({r.served} so far)
              </text>
            ) : (
              <>
                <rect x={labelW} y={y + 4} width={Math.max(1, x(r.psi) - labelW)} height={rowH - 8} rx={2} fill={barColor(r.psi)}>
                  <title>{`${r.feature}: PSI ${r.psi.toFixed(3)} over ${r.served} served rows`}</title>
                </rect>
                <text x={x(r.psi) + 5} y={y + rowH / 2 + 4}>{r.psi.toFixed(3)}</text>
              </>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export function Drift({ detail }: { detail: EndpointDetail }) {
  return (
    <section className={styles.section} data-testid="drift">
      <h2>Input drift <span className="muted small">PSI of served inputs vs the training data</span></h2>
      {detail.drift.length === 0 ? (
        <p className="muted small">No drift figures yet: they appear once the live version has answered enough requests.</p>
      ) : (
        <div style={{ overflowX: "auto" }}>
          <DriftChart drift={detail.drift} />
        </div>
      )}
    </section>
  );
}
