import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileGraph } from "../../server/graph/compile-graph";
import { checkConnection } from "../../server/graph/check-connection";
import { parseWorkflow, type Workflow } from "../../server/graph/format";
import { registry } from "../helpers/stub-nodes";

const fixture = (name: string): Workflow => {
  const r = parseWorkflow(JSON.parse(readFileSync(new URL(`../fixtures/graphs/${name}.json`, import.meta.url), "utf8")));
  if (!r.ok) throw new Error(r.problems.join("\n"));
  return r.workflow;
};
const codes = (wf: Workflow) => compileGraph(wf, registry).issues.map((i) => `${i.code}@${i.edgeId ?? i.nodeId}`);

describe("compileGraph", () => {
  it("orders a valid graph topologically and fills param defaults", () => {
    const plan = compileGraph(fixture("valid-chain"), registry);
    expect(plan.ok).toBe(true);
    expect(plan.issues).toEqual([]);
    const order = plan.nodes.map((n) => n.id);
    expect(order.indexOf("sum")).toBeGreaterThan(order.indexOf("a"));
    expect(order.indexOf("sum")).toBeGreaterThan(order.indexOf("b"));
    expect(plan.nodes.find((n) => n.id === "sum")!.inputs).toEqual({ a: { node: "a", port: "value" }, b: { node: "b", port: "value" } });
    expect(plan.nodes.find((n) => n.id === "a")!.dependents).toEqual(["sum"]);
  });

  it("reports a cycle on every node in it, by name", () => {
    const plan = compileGraph(fixture("cycle"), registry);
    expect(plan.ok).toBe(false);
    const cyc = plan.issues.filter((i) => i.code === "cycle");
    expect(cyc.map((i) => i.nodeId).sort()).toEqual(["x", "y"]);
    expect(cyc[0]!.message).toMatch(/loop \("First" → "Second"\)|loop \("Second" → "First"\)/);
  });

  it("reports an unknown kind on its node", () => {
    const [issue] = compileGraph(fixture("unknown-kind"), registry).issues;
    expect(issue).toMatchObject({ code: "unknown_kind", nodeId: "m", severity: "error" });
    expect(issue!.message).toContain('"test/does-not-exist"');
  });

  it("reports incompatible port types on the edge, naming both types", () => {
    const issues = compileGraph(fixture("mismatched-edge"), registry).issues;
    const e = issues.find((i) => i.code === "incompatible_ports")!;
    expect(e).toMatchObject({ edgeId: "e1", nodeId: "s", field: "a" });
    expect(e.message).toMatch(/gives a table, but input "a" expects a value/);
    // the rejected edge leaves the required input unconnected
    expect(issues.some((i) => i.code === "missing_input" && i.nodeId === "s")).toBe(true);
  });

  it("reports a param failing its schema with the field name", () => {
    const [issue] = compileGraph(fixture("bad-param"), registry).issues;
    expect(issue).toMatchObject({ code: "invalid_param", nodeId: "c", field: "value" });
    expect(issue!.message).toMatch(/Setting "value"/);
  });

  it("reports a column param naming a column upstream does not have, listing what is available", () => {
    const [issue] = compileGraph(fixture("missing-column"), registry).issues;
    expect(issue).toMatchObject({ code: "unknown_column", nodeId: "p", field: "column" });
    expect(issue!.message).toContain('column "agee"');
    expect(issue!.message).toContain("Available: x, label");
  });

  it("checks numeric column params against the dtype", () => {
    const wf = fixture("missing-column");
    wf.nodes[1]!.params = { column: "x", numeric: "label" };
    const [issue] = compileGraph(wf, registry).issues;
    expect(issue).toMatchObject({ code: "column_dtype", field: "numeric" });
  });

  it("reports a missing required input", () => {
    const wf: Workflow = { formatVersion: 1, name: "w", nodes: [{ id: "s", kind: "test/add", version: 2, params: {}, position: { x: 0, y: 0 } }], edges: [] };
    const [issue] = compileGraph(wf, registry).issues;
    expect(issue).toMatchObject({ code: "missing_input", nodeId: "s", field: "a" });
    expect(issue!.message).toMatch(/needs its "a" input \(value\) connected/);
  });

  it("migrates old params instead of dropping them, and reports unknown ones", () => {
    const wf: Workflow = { formatVersion: 1, name: "w", nodes: [
      { id: "a", kind: "test/const", version: 1, params: {}, position: { x: 0, y: 0 } },
      { id: "s", kind: "test/add", version: 1, params: { bias: 5 }, position: { x: 0, y: 0 } },
    ], edges: [{ source: "a", sourcePort: "value", target: "s", targetPort: "a" }] };
    const plan = compileGraph(wf, registry);
    expect(plan.issues).toEqual([]);
    expect(plan.nodes.find((n) => n.id === "s")!.params).toEqual({ offset: 5 });

    wf.nodes[1]!.params = { bias: 5, colour: "red" };
    const issues = compileGraph(wf, registry).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: "unknown_param", nodeId: "s", field: "colour" });
  });

  it("refuses params saved by a newer node version", () => {
    const wf: Workflow = { formatVersion: 1, name: "w", nodes: [{ id: "a", kind: "test/const", version: 7, params: {}, position: { x: 0, y: 0 } }], edges: [] };
    expect(codes(wf)).toEqual(["future_version@a"]);
  });

  it("reports dangling edges, unknown ports, double inputs and duplicate ids", () => {
    const wf: Workflow = { formatVersion: 1, name: "w", nodes: [
      { id: "a", kind: "test/const", version: 1, params: {}, position: { x: 0, y: 0 } },
      { id: "b", kind: "test/const", version: 1, params: {}, position: { x: 0, y: 0 } },
      { id: "s", kind: "test/add", version: 2, params: {}, position: { x: 0, y: 0 } },
      { id: "s", kind: "test/add", version: 2, params: {}, position: { x: 0, y: 0 } },
    ], edges: [
      { id: "e1", source: "a", sourcePort: "value", target: "s", targetPort: "a" },
      { id: "e2", source: "b", sourcePort: "value", target: "s", targetPort: "a" },
      { id: "e3", source: "ghost", sourcePort: "value", target: "s", targetPort: "b" },
      { id: "e4", source: "a", sourcePort: "nope", target: "s", targetPort: "b" },
    ] };
    const got = codes(wf);
    expect(got).toEqual(expect.arrayContaining(["duplicate_node_id@s", "multiple_inputs@e2", "dangling_edge@e3", "unknown_port@e4"]));
  });
});

describe("checkConnection (editor connect-time check)", () => {
  const wf = fixture("valid-chain");
  it("accepts a compatible edge", () => {
    const w2 = { ...wf, nodes: [...wf.nodes, { id: "n", kind: "test/add", version: 2, params: {}, position: { x: 0, y: 0 } }] };
    expect(checkConnection(w2, registry, { source: "sum", sourcePort: "sum", target: "n", targetPort: "a" })).toBeUndefined();
  });
  it("refuses an incompatible edge with the reason", () => {
    const w2 = { ...wf, nodes: [...wf.nodes, { id: "t", kind: "test/table", version: 1, params: {}, position: { x: 0, y: 0 } }, { id: "n", kind: "test/add", version: 2, params: {}, position: { x: 0, y: 0 } }] };
    expect(checkConnection(w2, registry, { source: "t", sourcePort: "table", target: "n", targetPort: "a" })).toMatch(/expects a value/);
  });
  it("refuses an edge that closes a loop", () => {
    const w2 = { ...wf, nodes: [...wf.nodes, { id: "n", kind: "test/add", version: 2, params: {}, position: { x: 0, y: 0 } }], edges: [...wf.edges, { source: "sum", sourcePort: "sum", target: "n", targetPort: "a" }] };
    expect(checkConnection(w2, registry, { source: "n", sourcePort: "sum", target: "sum", targetPort: "b" })).toMatch(/already has a connection|loop/);
    const w3 = { ...w2, edges: w2.edges.filter((e) => e.targetPort !== "b") };
    expect(checkConnection(w3, registry, { source: "n", sourcePort: "sum", target: "sum", targetPort: "b" })).toMatch(/loop/);
  });
  it("refuses a second connection into one input", () => {
    expect(checkConnection(wf, registry, { source: "b", sourcePort: "value", target: "sum", targetPort: "a" })).toMatch(/already has a connection/);
  });
});

describe("parseWorkflow", () => {
  it("names the node and field of a malformed document", () => {
    const r = parseWorkflow({ formatVersion: 1, nodes: [{ id: "n1", kind: "x", version: "one" }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatch(/^node "n1", field "version"/);
  });
  it("refuses a newer format version with a clear message", () => {
    const r = parseWorkflow({ formatVersion: 9, nodes: [] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatch(/format version 9/);
  });
});
