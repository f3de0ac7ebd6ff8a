/**
 * Design-time analysis for the editor and the CLI: probe source nodes (read a file's columns) so column
 * pickers and column checks work before anything runs, then compile. Probe results are memoized by
 * kind + params, so typing in a form does not re-read a file.
 */
import type { NodeRuntime } from "../../nodes/core/context";
import type { Issue } from "../../nodes/core/errors";
import { isUserError } from "../../nodes/core/errors";
import type { NodeRegistry } from "../../nodes/core/registry";
import { canonicalJson } from "../graph/cache-key";
import { compileGraph, migrateParams, type Plan, type PortInfos } from "../graph/compile-graph";
import type { Workflow } from "../graph/format";
import { resolveReadablePath } from "./runtime/file-roots";

export interface Analyzer {
  analyze(wf: Workflow, baseDir?: string): Promise<Plan>;
}

export function createAnalyzer(registry: NodeRegistry, runtime: NodeRuntime, opts: { maxEntries?: number } = {}): Analyzer {
  const memo = new Map<string, Promise<{ infos?: PortInfos; issue?: Omit<Issue, "nodeId" | "severity"> }>>();
  const max = opts.maxEntries ?? 200;

  async function probe(kind: string, params: Record<string, unknown>, baseDir: string) {
    const def = registry.get(kind)!;
    const key = `${kind}\n${baseDir}\n${canonicalJson(params)}`;
    let p = memo.get(key);
    if (!p) {
      p = (async () => {
        try {
          const infos = (await def.probe!({
            params,
            ctx: {
              runtime,
              artifacts: {
                resolvePath: (x) => resolveReadablePath(x, { baseDir }),
                put: () => Promise.reject(new Error("not available while probing")),
                get: () => Promise.reject(new Error("not available while probing")),
              },
            },
          })) as PortInfos;
          return { infos };
        } catch (e) {
          if (isUserError(e)) return { issue: { code: e.code, field: e.field, message: e.message } };
          return { issue: { code: "probe_failed", message: e instanceof Error ? e.message : String(e) } };
        }
      })();
      if (memo.size >= max) memo.delete(memo.keys().next().value!);
      memo.set(key, p);
    }
    return p;
  }

  /** Definitions' own design-time checks (a code node's type check), given the schemas reaching each node. */
  async function runChecks(wf: Workflow, plan: Plan): Promise<Issue[]> {
    const out: Issue[] = [];
    await Promise.all(
      wf.nodes.map(async (n) => {
        const def = registry.get(n.kind);
        if (!def?.check) return;
        const migrated = migrateParams(n, def);
        if (migrated.issue) return;
        const parsed = def.params.safeParse(migrated.params);
        if (!parsed.success) return; // the compiler reports it
        const inputs: PortInfos = {};
        for (const e of wf.edges) if (e.target === n.id) inputs[e.targetPort] = plan.infos[e.source]?.[e.sourcePort];
        try {
          for (const p of await def.check({ inputs, params: parsed.data }))
            out.push({ severity: "error", nodeId: n.id, code: p.code, field: p.field, message: `"${n.label || def.title}": ${p.message}` });
        } catch (e) {
          out.push({ severity: "error", nodeId: n.id, code: "check_failed", message: `"${n.label || def.title}" could not be checked: ${e instanceof Error ? e.message : String(e)}` });
        }
      }),
    );
    return out;
  }

  return {
    async analyze(wf, baseDir = process.cwd()) {
      const known: Record<string, PortInfos> = {};
      const probeIssues: Issue[] = [];
      await Promise.all(
        wf.nodes.map(async (n) => {
          const def = registry.get(n.kind);
          if (!def?.probe) return;
          const migrated = migrateParams(n, def);
          if (migrated.issue) return;
          const parsed = def.params.safeParse(migrated.params);
          if (!parsed.success) return; // the compiler reports it
          const r = await probe(n.kind, parsed.data, baseDir);
          if (r.infos) known[n.id] = r.infos;
          if (r.issue) probeIssues.push({ severity: "error", nodeId: n.id, ...r.issue, message: `"${n.label || def.title}": ${r.issue.message}` });
        }),
      );
      const plan = compileGraph(wf, registry, { known });
      const checkIssues = await runChecks(wf, plan);
      if (!probeIssues.length && !checkIssues.length) return plan;
      return { ...plan, ok: false, nodes: [], issues: [...probeIssues, ...plan.issues, ...checkIssues] };
    },
  };
}
