/**
 * The publish gate: the `gate` report outputs of the run's validation (expectations, schema drift) and fairness
 * (group metrics) nodes, shape `{ passed, checks: [{ metric, value, threshold?, passed, message }] }`.
 */
import type { NodeRegistry } from "../../nodes/core/registry";
import type { ReportValue } from "../../nodes/core/values";
import { loadValue } from "../engine/codecs";
import type { ArtifactStore } from "../engine/types";
import type { Workflow } from "../graph/format";
import type { RunRecord } from "../store/types";
import { GATE_KINDS } from "./plan";
import type { GateCheck, GateResult } from "./types";

interface GateReport {
  passed?: unknown;
  checks?: Array<{ metric?: unknown; value?: unknown; threshold?: unknown; passed?: unknown; message?: unknown }>;
}

/** Reads every gate in the run. A gate node that did not succeed counts as failed (its checks never ran to a pass). */
export async function readGate(graph: Workflow, run: RunRecord, registry: NodeRegistry, artifacts: ArtifactStore): Promise<GateResult> {
  const checks: GateCheck[] = [];
  for (const node of graph.nodes.filter((n) => GATE_KINDS.includes(n.kind))) {
    const label = node.label || registry.get(node.kind)?.title || node.id;
    const nr = run.nodes.find((n) => n.nodeId === node.id);
    const ref = nr?.outputs.gate;
    if (!nr || (nr.status !== "succeeded" && nr.status !== "cached") || !ref) {
      const why = nr?.error?.message ?? `it ${nr ? `ended ${nr.status}` : "did not run"}`;
      checks.push({ nodeId: node.id, label, kind: node.kind, passed: false, reasons: [`"${label}" has no gate result: ${why}.`] });
      continue;
    }
    const report = (await loadValue(artifacts, ref)) as ReportValue as GateReport;
    const failed = (report.checks ?? []).filter((c) => c.passed === false);
    const passed = report.passed === true && failed.length === 0;
    const reasons = failed.map((c) =>
      typeof c.message === "string" && c.message
        ? c.message
        : `${String(c.metric)} ${String(c.value)}${c.threshold === undefined ? "" : ` (limit ${String(c.threshold)})`}`,
    );
    if (!passed && !reasons.length) reasons.push(`"${label}" reports its gate failed.`);
    checks.push({ nodeId: node.id, label, kind: node.kind, passed, reasons });
  }
  return { passed: checks.every((c) => c.passed), checks };
}
