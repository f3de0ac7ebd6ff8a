"use client";
/** The Output tab: per output port of the node's run, a table preview, metrics, a chart or a JSON summary. */
import type { AnyNodeDefinition } from "../../../nodes/core/define-node";
import { PORT_TYPE_LABEL } from "../../../nodes/core/ports";
import type { ChartValue, MetricsValue } from "../../../nodes/core/values";
import type { TablePreview } from "../../../server/engine/services";
import type { ArtifactRef } from "../../../server/engine/types";
import { formatDuration, formatNumber, metricLabel } from "../../_lib/format";
import { nodePorts, PORT_COLOR } from "../../_lib/nodes";
import { Chart, Heatmap, LineChart } from "./charts";
import type { NodeRunState } from "./store";
import { useArtifact } from "./use-artifact";

function TableView({ t }: { t: TablePreview }) {
  return (
    <div className="tableview">
      <div className="muted small">
        {t.rows.toLocaleString()} rows × {t.columns.length} columns
      </div>
      <div className="scroll-x">
        <table className="grid-table stats" data-testid="table-stats">
          <thead>
            <tr>
              <th>Column</th>
              <th>Type</th>
              <th>Nulls</th>
              <th>Distinct</th>
              <th>Summary</th>
            </tr>
          </thead>
          <tbody>
            {t.columns.map((c) => (
              <tr key={c.name}>
                <td className="colname">{c.name}</td>
                <td><span className={`dtype dtype-${c.dtype}`}>{c.dtype}</span></td>
                <td className={c.nulls ? "warn" : ""}>{c.nulls ? `${c.nulls.toLocaleString()} (${((c.nulls / Math.max(1, c.count + c.nulls)) * 100).toFixed(1)}%)` : "0"}</td>
                <td>{c.distinct != null ? c.distinct.toLocaleString() : "—"}</td>
                <td className="summary">
                  {c.mean != null || typeof c.min === "number" ? (
                    <>min {formatNumber(c.min)} · mean {formatNumber(c.mean)} · max {formatNumber(c.max)}{c.std != null ? ` · sd ${formatNumber(c.std)}` : ""}</>
                  ) : c.top?.length ? (
                    c.top.slice(0, 3).map((x) => `${x.value} (${x.count.toLocaleString()})`).join(", ")
                  ) : c.min != null ? (
                    <>{String(c.min)} … {String(c.max)}</>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="scroll-x">
        <table className="grid-table data" data-testid="table-head">
          <thead>
            <tr>
              <th>#</th>
              {t.head.columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {Array.from({ length: t.head.data[0]?.length ?? 0 }, (_, r) => (
              <tr key={r}>
                <td className="muted">{r + 1}</td>
                {t.head.data.map((col, ci) => (
                  <td key={ci} className={col[r] == null ? "null" : typeof col[r] === "number" ? "num" : ""}>{col[r] == null ? "null" : typeof col[r] === "number" ? formatNumber(col[r]) : String(col[r])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function isMatrix(v: unknown): v is number[][] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => Array.isArray(r) && r.every((x) => typeof x === "number"));
}

function MetricsView({ m, chartsElsewhere }: { m: MetricsValue; chartsElsewhere: boolean }) {
  const details = m.details ?? {};
  const cm = Object.entries(details).find(([k, v]) => /confusion/i.test(k) && (isMatrix(v) || isMatrix((v as { matrix?: unknown })?.matrix)));
  const classes = (details.classes ?? details.labels) as string[] | undefined;
  let cmChart: ChartValue | undefined;
  if (cm && !chartsElsewhere) {
    const raw = cm[1] as number[][] | { matrix: number[][]; labels?: string[] };
    const matrix = isMatrix(raw) ? raw : raw.matrix;
    const labels = (!isMatrix(raw) && raw.labels) || classes;
    cmChart = { kind: "heatmap", title: "Confusion matrix", matrix, rowLabels: labels, colLabels: labels, xLabel: "predicted", yLabel: "actual" };
  }
  const curves = chartsElsewhere ? [] : Object.values(details).filter((v): v is ChartValue => !!v && typeof v === "object" && "kind" in v && "title" in v);
  return (
    <div>
      <table className="grid-table metrics" data-testid="metrics-table">
        <tbody>
          {Object.entries(m.values).map(([k, v]) => (
            <tr key={k}>
              <td>{metricLabel(k)}</td>
              <td className="num" data-testid={`metric-${k}`}>{formatNumber(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {cmChart && <Heatmap chart={cmChart} />}
      {curves.map((c) => (
        <Chart key={c.title} chart={c} />
      ))}
    </div>
  );
}

function PortOutput({ name, label, ref_, chartsElsewhere }: { name: string; label: string; ref_: ArtifactRef; chartsElsewhere: boolean }) {
  const { preview, error, loading } = useArtifact(ref_.hash, ref_.type);
  return (
    <section className="port-output" data-testid={`output-${name}`}>
      <h5>
        <i className="port-dot" style={{ background: PORT_COLOR[ref_.type] }} />
        {label} <span className="muted">· {PORT_TYPE_LABEL[ref_.type]}</span>
      </h5>
      {loading && <div className="muted small">Loading…</div>}
      {error && <div className="field-error">{error}</div>}
      {preview?.type === "table" && <TableView t={preview.table} />}
      {preview?.type === "json" && ref_.type === "metrics" && <MetricsView m={preview.value as MetricsValue} chartsElsewhere={chartsElsewhere} />}
      {preview?.type === "json" && ref_.type === "chart" && <Chart chart={preview.value as ChartValue} />}
      {preview?.type === "json" && ref_.type !== "metrics" && ref_.type !== "chart" && <pre className="json">{JSON.stringify(preview.value, null, 2).slice(0, 6000)}</pre>}
    </section>
  );
}

export function OutputView({ def, params, state }: { def: AnyNodeDefinition; params: Record<string, unknown>; state?: NodeRunState }) {
  if (!state || state.status === "pending" || state.status === "queued") return <p className="muted">Run the workflow to see this node's results here.</p>;
  const ports = Object.entries(nodePorts(def, params).outputs);
  const seriesNames = Object.keys(state.series);
  // Nodes with a metrics port show their metrics there; charts on their own ports are not repeated.
  const hasMetricsPort = ports.some(([, p]) => p.type === "metrics");
  const chartsElsewhere = ports.some(([, p]) => p.type === "chart");
  return (
    <div className="output">
      <div className="output-summary">
        <span className={`badge badge-${state.status}`}>{state.status}</span>
        {state.cached && <span className="badge badge-cached">from cache</span>}
        {state.durationMs != null && <span className="muted">{formatDuration(state.durationMs)}</span>}
      </div>
      {state.error && (
        <div className="error-box" data-testid="inspector-error">
          <b>{state.error.user ? "Problem" : "Internal error"}</b>
          <p>{state.error.message}</p>
        </div>
      )}
      {state.status === "running" && (
        <div className="progress big">
          <div className="progress-bar" style={{ width: `${Math.round((state.progress ?? 0) * 100)}%` }} />
          <span>{state.progressMessage ?? `${Math.round((state.progress ?? 0) * 100)}%`}</span>
        </div>
      )}
      {!hasMetricsPort && Object.keys(state.metrics).length > 0 && (
        <table className="grid-table metrics">
          <tbody>
            {Object.entries(state.metrics).map(([k, v]) => (
              <tr key={k}>
                <td>{metricLabel(k)}</td>
                <td className="num">{formatNumber(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {seriesNames.length > 0 && (
        <LineChart chart={{ kind: "line", title: "Learning curve (live)", xLabel: "step", series: seriesNames.map((n) => ({ name: n, ...state.series[n]! })) }} />
      )}
      {ports.map(([name, p]) => {
        const ref = state.outputs[name];
        return ref ? <PortOutput key={`${name}:${ref.hash}`} name={name} label={p.label ?? name} ref_={ref} chartsElsewhere={chartsElsewhere} /> : null;
      })}
      {state.logs.length > 0 && (
        <section className="port-output">
          <h5>Log</h5>
          <div className="logs">
            {state.logs.map((l, i) => (
              <div key={i} className={`log log-${l.level}`}>
                <span className="muted">{new Date(l.ts).toLocaleTimeString()}</span> {l.message}
              </div>
            ))}
          </div>
        </section>
      )}
    </div>
  );
}
