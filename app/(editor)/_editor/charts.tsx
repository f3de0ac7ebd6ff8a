"use client";
/** Small SVG charts: line/scatter (ROC, learning curves), heatmap (confusion matrix), bar, and a sparkline. */
import type { ChartSeries, ChartValue } from "../../../nodes/core/values";
import { formatNumber } from "../../_lib/format";

const PALETTE = ["#2f7de1", "#e0592a", "#0f9d8a", "#8a4fd8", "#d6457a", "#ca8a04", "#475569"];

function extent(vals: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of vals) if (Number.isFinite(v)) ((lo = Math.min(lo, v)), (hi = Math.max(hi, v)));
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) return [lo - (lo === 0 ? 1 : Math.abs(lo) * 0.1), hi + (hi === 0 ? 1 : Math.abs(hi) * 0.1)];
  return [lo, hi];
}

function ticks([lo, hi]: [number, number], n = 4): number[] {
  const step0 = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Line chart with axes and legend. ROC curves get the diagonal. */
export function LineChart({ chart, width = 320, height = 220 }: { chart: ChartValue; width?: number; height?: number }) {
  const series = chart.series ?? [];
  const m = { l: 44, r: 10, t: 10, b: 34 };
  const xs = extent(series.flatMap((s) => s.x));
  const ys = extent(series.flatMap((s) => s.y));
  const isRoc = /roc/i.test(chart.title) || (xs[0] >= 0 && xs[1] <= 1 && ys[0] >= 0 && ys[1] <= 1 && /false positive/i.test(chart.xLabel ?? ""));
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const sx = (v: number) => m.l + ((v - xs[0]) / (xs[1] - xs[0])) * W;
  const sy = (v: number) => m.t + H - ((v - ys[0]) / (ys[1] - ys[0])) * H;
  return (
    <figure className="chart">
      <figcaption>{chart.title}</figcaption>
      <svg width={width} height={height} role="img" aria-label={chart.title}>
        {ticks(ys).map((t) => (
          <g key={`y${t}`}>
            <line x1={m.l} x2={m.l + W} y1={sy(t)} y2={sy(t)} className="grid" />
            <text x={m.l - 4} y={sy(t) + 3} textAnchor="end" className="tick">{formatNumber(t)}</text>
          </g>
        ))}
        {ticks(xs).map((t) => (
          <text key={`x${t}`} x={sx(t)} y={m.t + H + 13} textAnchor="middle" className="tick">{formatNumber(t)}</text>
        ))}
        <line x1={m.l} x2={m.l + W} y1={m.t + H} y2={m.t + H} className="axis" />
        <line x1={m.l} x2={m.l} y1={m.t} y2={m.t + H} className="axis" />
        {isRoc && <line x1={sx(0)} y1={sy(0)} x2={sx(1)} y2={sy(1)} className="diag" />}
        {series.map((s, i) =>
          chart.kind === "scatter" ? (
            <g key={s.name} fill={PALETTE[i % PALETTE.length]}>
              {s.x.map((x, j) => <circle key={j} cx={sx(x)} cy={sy(s.y[j] ?? 0)} r={2} opacity={0.7} />)}
            </g>
          ) : (
            <polyline key={s.name} fill="none" stroke={PALETTE[i % PALETTE.length]} strokeWidth={1.8} points={s.x.map((x, j) => `${sx(x).toFixed(1)},${sy(s.y[j] ?? 0).toFixed(1)}`).join(" ")} />
          ),
        )}
        {chart.xLabel && <text x={m.l + W / 2} y={height - 4} textAnchor="middle" className="label">{chart.xLabel}</text>}
        {chart.yLabel && <text x={10} y={m.t + H / 2} textAnchor="middle" className="label" transform={`rotate(-90 10 ${m.t + H / 2})`}>{chart.yLabel}</text>}
      </svg>
      {series.length > 1 && (
        <div className="legend">
          {series.map((s, i) => (
            <span key={s.name}><i style={{ background: PALETTE[i % PALETTE.length] }} />{s.name}</span>
          ))}
        </div>
      )}
    </figure>
  );
}

/** Heatmap with counts in the cells (confusion matrix: rows = actual, columns = predicted). */
export function Heatmap({ chart, cell = 44 }: { chart: ChartValue; cell?: number }) {
  const matrix = chart.matrix ?? [];
  const rows = chart.rowLabels ?? matrix.map((_, i) => String(i));
  const cols = chart.colLabels ?? (matrix[0] ?? []).map((_, i) => String(i));
  const max = Math.max(1, ...matrix.flat());
  const left = 70;
  const top = 34;
  const width = left + cols.length * cell + 8;
  const height = top + rows.length * cell + 8;
  return (
    <figure className="chart">
      <figcaption>{chart.title}</figcaption>
      <svg width={width} height={height} role="img" aria-label={chart.title}>
        {chart.xLabel && <text x={left + (cols.length * cell) / 2} y={10} textAnchor="middle" className="label">{chart.xLabel}</text>}
        {cols.map((c, j) => (
          <text key={c} x={left + j * cell + cell / 2} y={top - 6} textAnchor="middle" className="tick">{c}</text>
        ))}
        {matrix.map((row, i) => (
          <g key={i}>
            <text x={left - 6} y={top + i * cell + cell / 2 + 3} textAnchor="end" className="tick">{rows[i]}</text>
            {row.map((v, j) => {
              const a = v / max;
              return (
                <g key={j}>
                  <rect x={left + j * cell} y={top + i * cell} width={cell - 2} height={cell - 2} rx={3} fill={`rgba(47,125,225,${0.08 + 0.85 * a})`} />
                  <text x={left + j * cell + cell / 2 - 1} y={top + i * cell + cell / 2 + 3} textAnchor="middle" className="cell" fill={a > 0.55 ? "#fff" : "#1f2937"}>{formatNumber(v)}</text>
                </g>
              );
            })}
          </g>
        ))}
      </svg>
      {chart.yLabel && <div className="legend muted">rows: {chart.yLabel}</div>}
    </figure>
  );
}

/** Horizontal bars: one per category (first series), e.g. feature importances or per-group rates. */
export function BarChart({ chart, width = 320 }: { chart: ChartValue; width?: number }) {
  const cats = chart.categories ?? [];
  const s = chart.series?.[0];
  const vals = s?.y ?? [];
  const max = Math.max(1e-12, ...vals.map((v) => Math.abs(v)));
  const left = 110;
  const bar = 16;
  const height = cats.length * (bar + 4) + 8;
  return (
    <figure className="chart">
      <figcaption>{chart.title}</figcaption>
      <svg width={width} height={height} role="img" aria-label={chart.title}>
        {cats.map((c, i) => {
          const v = vals[i] ?? 0;
          const w = (Math.abs(v) / max) * (width - left - 50);
          return (
            <g key={c}>
              <text x={left - 6} y={i * (bar + 4) + bar - 3} textAnchor="end" className="tick">{c.length > 16 ? `${c.slice(0, 15)}…` : c}</text>
              <rect x={left} y={i * (bar + 4)} width={Math.max(1, w)} height={bar} rx={2} fill={v < 0 ? "#e0592a" : "#2f7de1"} />
              <text x={left + w + 4} y={i * (bar + 4) + bar - 3} className="tick">{formatNumber(v)}</text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

export function Chart({ chart, width }: { chart: ChartValue; width?: number }) {
  if (chart.kind === "heatmap") return <Heatmap chart={chart} />;
  if (chart.kind === "bar") return <BarChart chart={chart} width={width} />;
  return <LineChart chart={chart} width={width} />;
}

/** Tiny chart for a node's face: the series only, no axes. */
export function Sparkline({ series, width = 200, height = 44, diagonal = false }: { series: ChartSeries[]; width?: number; height?: number; diagonal?: boolean }) {
  const xs = extent(series.flatMap((s) => s.x));
  const ys = diagonal ? ([0, 1] as [number, number]) : extent(series.flatMap((s) => s.y));
  const sx = (v: number) => 2 + ((v - xs[0]) / (xs[1] - xs[0])) * (width - 4);
  const sy = (v: number) => height - 2 - ((v - ys[0]) / (ys[1] - ys[0])) * (height - 4);
  return (
    <svg className="sparkline" width={width} height={height} data-testid="node-minichart">
      {diagonal && <line x1={sx(0)} y1={sy(0)} x2={sx(1)} y2={sy(1)} className="diag" />}
      {series.map((s, i) => (
        <polyline key={s.name} fill="none" stroke={PALETTE[i % PALETTE.length]} strokeWidth={1.5} points={s.x.map((x, j) => `${sx(x).toFixed(1)},${sy(s.y[j] ?? 0).toFixed(1)}`).join(" ")} />
      ))}
    </svg>
  );
}

/** Tiny bars for a node's face (per-group rates, importances): first series, no labels beyond a tooltip. */
export function MiniBars({ chart, width = 200, height = 44 }: { chart: ChartValue; width?: number; height?: number }) {
  const cats = (chart.categories ?? []).slice(0, 24);
  const vals = (chart.series?.[0]?.y ?? []).slice(0, cats.length);
  const max = Math.max(1e-12, ...vals.map((v) => Math.abs(v)));
  const w = cats.length ? (width - 4) / cats.length : 0;
  return (
    <svg className="sparkline" width={width} height={height} data-testid="node-minichart" data-kind="bar" role="img" aria-label={chart.title}>
      {vals.map((v, i) => {
        const h = (Math.abs(v) / max) * (height - 6);
        return (
          <rect key={i} x={2 + i * w + 1} y={height - 2 - h} width={Math.max(1, w - 2)} height={Math.max(1, h)} rx={1} fill={PALETTE[0]}>
            <title>{`${cats[i]}: ${formatNumber(v)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

/** Tiny heatmap for a node's face (confusion matrix): cell shade by count. */
export function MiniHeatmap({ chart, height = 44 }: { chart: ChartValue; height?: number }) {
  const m = chart.matrix ?? [];
  const n = Math.max(1, m.length, m[0]?.length ?? 0);
  const cell = (height - 4) / n;
  const max = Math.max(1, ...m.flat());
  return (
    <svg className="sparkline" width={height} height={height} data-testid="node-minichart" data-kind="heatmap" role="img" aria-label={chart.title}>
      {m.map((row, i) =>
        row.map((v, j) => (
          <rect key={`${i}-${j}`} x={2 + j * cell} y={2 + i * cell} width={cell - 1} height={cell - 1} fill={`rgba(47,125,225,${0.08 + 0.85 * (v / max)})`}>
            <title>{`${chart.rowLabels?.[i] ?? i} → ${chart.colLabels?.[j] ?? j}: ${formatNumber(v)}`}</title>
          </rect>
        )),
      )}
    </svg>
  );
}
