/**
 * Ports that follow from params (the contract's `ports(params)` hook, used by the code node): the compiler,
 * the connect-time check and the executor's output list see the declared ports, not the static defaults.
 */
import { describe, expect, it } from "vitest";
import codeNode from "../../nodes/code/code-node";
import { portsOf, type AnyNodeDefinition } from "../../nodes/core/define-node";
import { createRegistry } from "../../nodes/core/registry";
import { checkConnection } from "../../server/graph/check-connection";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";

const registry = createRegistry([codeNode] as unknown as AnyNodeDefinition[]);
const make = { id: "make", kind: "code/typescript", version: 2, params: { outputs: [{ name: "rows", type: "table" }, { name: "score", type: "metrics" }] }, position: { x: 0, y: 0 } };
const use = { id: "use", kind: "code/typescript", version: 2, params: { inputs: [{ name: "train", type: "table" }, { name: "m", type: "metrics", optional: true }] }, position: { x: 0, y: 0 } };
const wf = (edges: Workflow["edges"], nodes: Workflow["nodes"] = [make, use]): Workflow => ({ formatVersion: 1, name: "ports", nodes, edges });

describe("declared ports", () => {
  it("portsOf gives the declared ports for parsed params and the static ones otherwise", () => {
    const p = codeNode.params.parse(use.params);
    expect(Object.keys(portsOf(codeNode as unknown as AnyNodeDefinition, p).inputs)).toEqual(["train", "m"]);
    expect(Object.keys(portsOf(codeNode as unknown as AnyNodeDefinition).inputs)).toEqual(["a", "b"]);
  });

  it("compiles edges between declared ports and requires a declared non-optional input", () => {
    const ok = compileGraph(wf([{ source: "make", sourcePort: "rows", target: "use", targetPort: "train" }]), registry);
    expect(ok.issues).toEqual([]);
    expect(ok.nodes.find((n) => n.id === "use")!.inputs).toEqual({ train: { node: "make", port: "rows" } });
    const missing = compileGraph(wf([]), registry);
    expect(missing.issues).toEqual([expect.objectContaining({ code: "missing_input", nodeId: "use", field: "train" })]);
  });

  it("rejects the default ports once others are declared, naming the declared ones", () => {
    const plan = compileGraph(wf([{ source: "make", sourcePort: "table", target: "use", targetPort: "train" }]), registry);
    expect(plan.issues[0]).toMatchObject({ code: "unknown_port", message: expect.stringContaining("(it has: rows, score)") });
  });

  it("checkConnection refuses a declared port of another type and accepts a matching one", () => {
    const g = wf([{ source: "make", sourcePort: "rows", target: "use", targetPort: "train" }]);
    expect(checkConnection(g, registry, { source: "make", sourcePort: "score", target: "use", targetPort: "m" })).toBeUndefined();
    expect(checkConnection(wf([]), registry, { source: "make", sourcePort: "score", target: "use", targetPort: "train" })).toMatch(/gives a metrics, but input "train" expects a table/);
  });

  it("reports bad declarations (duplicate names, a column parameter of a missing input) on the node", () => {
    const bad = { ...use, params: { ...use.params, parameters: [{ type: "column", name: "col", port: "nope" }], outputs: [{ name: "x", type: "table" }, { name: "x", type: "scalar" }] } };
    const plan = compileGraph(wf([{ source: "make", sourcePort: "rows", target: "use", targetPort: "train" }], [make, bad]), registry);
    expect(plan.issues).toEqual([expect.objectContaining({ code: "code_declaration", nodeId: "use", field: "outputs", message: expect.stringMatching(/Two outputs are called "x"/) })]);
  });

  it("reads a version-1 node with its fixed ports a, b → table, metrics", () => {
    const v1 = (id: string, params: Record<string, unknown>) => ({ id, kind: "code/typescript", version: 1, params, position: { x: 0, y: 0 } });
    const plan = compileGraph(wf([{ source: "p", sourcePort: "table", target: "q", targetPort: "a" }], [v1("p", { code: "" }), v1("q", { code: "", ports: { inputs: [], outputs: [] } })]), registry);
    expect(plan.issues).toEqual([]);
  });
});
