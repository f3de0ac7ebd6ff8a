/** `--set <nodeId>.<param>=<value>` overrides for the CLI. */
import type { Workflow } from "../graph/format";

/** A command-line mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}

export function applySets(wf: Workflow, sets: string[]): Workflow {
  const out = structuredClone(wf);
  for (const s of sets) {
    const m = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(s);
    if (!m) throw new UsageError(`--set "${s}" is not of the form <nodeId>.<param>=<value>.`);
    const [, nodeId, param, raw] = m as unknown as [string, string, string, string];
    const node = out.nodes.find((n) => n.id === nodeId);
    if (!node) throw new UsageError(`--set "${s}": there is no node "${nodeId}" (nodes: ${out.nodes.map((n) => n.id).join(", ")}).`);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      /* a bare string such as a path */
    }
    node.params = { ...node.params, [param]: value };
  }
  return out;
}

