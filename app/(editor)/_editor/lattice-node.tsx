"use client";
/** A node on the canvas: title, typed handles, status, progress, duration, key metric, error, mini chart. */
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { useShallow } from "zustand/react/shallow";
import type { ChartValue } from "../../../nodes/core/values";
import { PORT_TYPE_LABEL } from "../../../nodes/core/ports";
import { formatDuration, formatNumber, metricLabel } from "../../_lib/format";
import { CATEGORY_COLOR, PORT_COLOR, nodePorts, registry } from "../../_lib/nodes";
import { MiniBars, MiniHeatmap, Sparkline } from "./charts";
import { useEditor, type LatticeNode, type NodeRunState } from "./store";
import { useArtifact } from "./use-artifact";

const STATUS_LABEL: Record<string, string> = {
  pending: "Pending",
  queued: "Queued",
  running: "Running",
  succeeded: "Done",
  failed: "Failed",
  cached: "Cached",
  cancelled: "Cancelled",
  skipped: "Skipped",
};

/** Live learning curve while a node streams a metric series; otherwise up to two of its chart outputs. */
function NodeCharts({ state, chartPorts }: { state: NodeRunState; chartPorts: string[] }) {
  const seriesNames = Object.keys(state.series);
  if (seriesNames.length) {
    const names = seriesNames.filter((n) => /loss/i.test(n)).length ? seriesNames.filter((n) => /loss/i.test(n)) : seriesNames.slice(0, 2);
    return <Sparkline series={names.map((n) => ({ name: n, ...state.series[n]! }))} />;
  }
  const shown = chartPorts.filter((p) => state.outputs[p]).slice(0, 2);
  return (
    <div className="lnode-charts">
      {shown.map((p) => (
        <NodeChart key={p} hash={state.outputs[p]!.hash} narrow={shown.length > 1} />
      ))}
    </div>
  );
}

function NodeChart({ hash, narrow }: { hash: string; narrow: boolean }) {
  const { preview } = useArtifact(hash, "chart");
  if (preview?.type !== "json") return null;
  const chart = preview.value as ChartValue;
  const width = narrow ? 140 : 200;
  if (chart.kind === "heatmap" && chart.matrix?.length) return <MiniHeatmap chart={chart} />;
  if (chart.kind === "bar" && chart.categories?.length) return <MiniBars chart={chart} width={width} />;
  if (chart.series?.length) return <Sparkline series={chart.series.slice(0, 3)} diagonal={/roc/i.test(chart.title)} width={width} />;
  return null;
}

function LatticeNodeView({ id, data, selected }: NodeProps<LatticeNode>) {
  const def = registry.get(data.kind);
  const state = useEditor((s) => s.run?.nodes[id]);
  const issues = useEditor(useShallow((s) => s.issues.filter((i) => i.nodeId === id && i.severity === "error")));
  const runStatus = useEditor((s) => s.run?.status);
  if (!def) {
    return (
      <div className="lnode lnode-unknown" data-testid="node" data-kind={data.kind}>
        <div className="lnode-head">Unknown node “{data.kind}”</div>
        <div className="lnode-error">This node type is not in this Lattice. Delete it or replace it from the palette.</div>
      </div>
    );
  }
  const status = state?.status ?? "idle";
  const ports = nodePorts(def, data.params);
  const inputs = Object.entries(ports.inputs);
  const outputs = Object.entries(ports.outputs);
  const typeErrors = issues.filter((i) => i.code === "code_type_error").length;
  const key = def.keyMetric;
  const keyValue = key !== undefined ? state?.metrics[key] : undefined;
  const chartPorts = outputs.filter(([, p]) => p.type === "chart").map(([name]) => name);
  const hasChart = state && (Object.keys(state.series).length > 0 || chartPorts.some((p) => state.outputs[p]));
  const elapsed = state?.status === "running" && state.startedAt ? undefined : state?.durationMs;
  const stale = state && runStatus && state.status === "pending" && runStatus !== "running" && runStatus !== "queued";
  return (
    <div
      className={`lnode status-${status}${selected ? " selected" : ""}${issues.length ? " has-issues" : ""}`}
      data-testid="node"
      data-kind={data.kind}
      data-node-id={id}
      data-status={status}
      title={issues.map((i) => i.message).join("\n") || undefined}
    >
      <div className="lnode-head" style={{ borderTopColor: CATEGORY_COLOR[def.category] ?? "#64748b" }}>
        <div className="lnode-titles">
          <span className="lnode-cat" style={{ color: CATEGORY_COLOR[def.category] }}>{def.category}{data.label ? ` · ${def.title}` : ""}</span>
          <span className="lnode-title">{data.label || def.title}</span>
        </div>
        {typeErrors > 0 && (
          <span className="lnode-type-errors" data-testid="node-type-errors" data-count={typeErrors} title={issues.filter((i) => i.code === "code_type_error").map((i) => i.message).join("\n")}>
            {typeErrors} type error{typeErrors === 1 ? "" : "s"}
          </span>
        )}
        {issues.length > 0 && (
          <span className="lnode-issue-badge" data-testid="node-issues" title={issues.map((i) => i.message).join("\n")}>
            {issues.length}
          </span>
        )}
      </div>
      <div className="lnode-ports">
        <div className="lnode-col">
          {inputs.map(([name, p]) => (
            <div className="lnode-port in" key={name} title={`${p.label ?? name}: ${PORT_TYPE_LABEL[p.type]}${p.optional ? " (optional)" : ""}`}>
              <Handle
                type="target"
                position={Position.Left}
                id={name}
                className="lhandle"
                style={{ background: PORT_COLOR[p.type], borderColor: PORT_COLOR[p.type] }}
                data-testid={`handle-in-${name}`}
                data-port-type={p.type}
              />
              <span>{p.label ?? name}{p.optional ? <em> opt</em> : null}</span>
            </div>
          ))}
        </div>
        <div className="lnode-col out">
          {outputs.map(([name, p]) => (
            <div className="lnode-port out" key={name} title={`${p.label ?? name}: ${PORT_TYPE_LABEL[p.type]}`}>
              <span>{p.label ?? name}</span>
              <Handle
                type="source"
                position={Position.Right}
                id={name}
                className="lhandle"
                style={{ background: PORT_COLOR[p.type], borderColor: PORT_COLOR[p.type] }}
                data-testid={`handle-out-${name}`}
                data-port-type={p.type}
              />
            </div>
          ))}
        </div>
      </div>
      {state && (
        <div className="lnode-run">
          <div className="lnode-statusline">
            <span className={`badge badge-${state.status}${stale ? " stale" : ""}`} data-testid="node-status" data-status={state.status}>
              {STATUS_LABEL[state.status] ?? state.status}
            </span>
            {state.cached && state.status !== "cached" && <span className="badge badge-cached">cached</span>}
            {elapsed != null && <span className="lnode-duration">{formatDuration(elapsed)}</span>}
            {keyValue != null && key && (
              <span className="lnode-metric" data-testid="node-key-metric" data-metric={key} data-value={keyValue}>
                {metricLabel(key)} <b>{formatNumber(keyValue)}</b>
              </span>
            )}
          </div>
          {state.status === "running" && (
            <div className="progress" title={state.progressMessage}>
              <div className={`progress-bar${state.progress ? "" : " indeterminate"}`} style={{ width: `${Math.round((state.progress ?? 0) * 100)}%` }} />
            </div>
          )}
          {state.status === "running" && state.progressMessage && <div className="lnode-msg">{state.progressMessage}</div>}
          {hasChart && <NodeCharts state={state} chartPorts={chartPorts} />}
          {state.error && <div className="lnode-error" data-testid="node-error">{state.error.message}</div>}
          {state.skippedReason && <div className="lnode-msg">{state.skippedReason}</div>}
        </div>
      )}
    </div>
  );
}

export const LatticeNodeComponent = memo(LatticeNodeView);
