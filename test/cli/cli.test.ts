/**
 * The CLI as a user runs it: `lattice run <workflow.json> --json`, on the real node catalogue and the Adult
 * census file.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const artifacts = mkdtempSync(join(tmpdir(), "lattice-cli-"));
afterAll(() => rmSync(artifacts, { recursive: true, force: true }));

function lattice(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, "server/cli/lattice.mjs"), ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, LATTICE_ARTIFACTS: join(artifacts, "store") },
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
type Summary = { status: string; nodes: Record<string, { kind: string; status: string; cached: boolean; durationMs: number; metrics: Record<string, number> }> };

describe("lattice run (malformed workflows)", () => {
  it.each([
    ["cycle", /node "(select|split)".*loop/],
    ["unknown-kind", /node "model" \(training\/quantum-forest\): .*unknown type "training\/quantum-forest"/],
    ["mismatched-edge", /node "split".*gives a trained model, but input "Table" expects a table/],
    ["bad-param", /node "split".*Setting "testFraction"/],
    ["missing-column", /node "select".*column "income".*not in the table/],
  ])("%s: exits non-zero naming the node, without a stack trace", (name, pattern) => {
    const r = lattice("run", `test/fixtures/cli/${name}.json`, "--json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(r.stdout).toBe("");
  });

  it("explains usage and bad --set values", () => {
    expect(lattice("run").code).toBe(2);
    const r = lattice("run", "examples/adult-income.workflow.json", "--set", "nosuchnode.x=1");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no node "nosuchnode"/);
  });
});

describe("lattice run examples/adult-income.workflow.json", () => {
  it("reaches ROC-AUC ≥ 0.89, then serves the rerun from cache, then re-runs only the metrics node after a metrics param change", () => {
    const first = lattice("run", "examples/adult-income.workflow.json", "--json", "--out", join(artifacts, "out"));
    expect(first.code, first.stderr).toBe(0);
    const s1 = JSON.parse(first.stdout) as Summary;
    expect(s1.status).toBe("succeeded");
    expect(s1.nodes.metrics!.metrics.roc_auc).toBeGreaterThanOrEqual(0.89);
    expect(Object.keys(s1.nodes).sort()).toEqual(["metrics", "model", "select", "source", "split"]);
    // --out: tables as CSV, metrics as JSON
    expect(readFileSync(join(artifacts, "out/split/test.csv"), "utf8").split("\n")[0]).toContain("class");
    expect(JSON.parse(readFileSync(join(artifacts, "out/metrics/metrics.json"), "utf8")).values.roc_auc).toBeCloseTo(s1.nodes.metrics!.metrics.roc_auc!, 12);
    expect(existsSync(join(artifacts, "out/model/model/model.json"))).toBe(true);

    const second = JSON.parse(lattice("run", "examples/adult-income.workflow.json", "--json").stdout) as Summary;
    expect(Object.values(second.nodes).map((n) => n.status)).toEqual(Array(5).fill("cached"));
    expect(second.nodes.metrics!.metrics.roc_auc).toBe(s1.nodes.metrics!.metrics.roc_auc);

    const third = JSON.parse(lattice("run", "examples/adult-income.workflow.json", "--json", "--set", "metrics.threshold=0.3").stdout) as Summary;
    const statuses = Object.fromEntries(Object.entries(third.nodes).map(([id, n]) => [id, n.status]));
    expect(statuses).toEqual({ source: "cached", select: "cached", split: "cached", model: "cached", metrics: "succeeded" });
    expect(third.nodes.metrics!.metrics.roc_auc).toBe(s1.nodes.metrics!.metrics.roc_auc); // AUC does not depend on the threshold
    expect(third.nodes.metrics!.metrics.recall).toBeGreaterThan(s1.nodes.metrics!.metrics.recall!);
  });

  it("runs the bundled penguins example (multiclass) with no download", () => {
    const r = lattice("run", "examples/penguins.workflow.json", "--json");
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.nodes.metrics!.metrics.accuracy).toBeGreaterThan(0.9);
  });

  it("exits 1 naming the node when a node fails at run time", () => {
    const r = lattice("run", "examples/adult-income.workflow.json", "--json", "--set", "source.path=test/fixtures/cli/no-such-file.csv");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/node "source"/);
    expect(r.stderr).toMatch(/no-such-file\.csv/);
  });

  it("adult-fairness: data checks pass, MLP ≥ 0.90 and GBDT ≥ 0.92 ROC-AUC, the fairness gate flags the sex gap", () => {
    const r = lattice("run", "examples/adult-fairness.workflow.json", "--json");
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.nodes.validate!.metrics.failed_expectations).toBe(0);
    expect(s.nodes.mlpMetrics!.metrics.roc_auc).toBeGreaterThanOrEqual(0.9);
    expect(s.nodes.gbdtMetrics!.metrics.roc_auc).toBeGreaterThanOrEqual(0.92);
    // Adult's selection rates differ by sex well beyond the 0.1 default limit: the gate must say so.
    expect(s.nodes.fairness!.metrics.demographic_parity_difference).toBeGreaterThan(0.1);
    expect(r.stderr).toMatch(/Demographic parity difference .* is above the limit 0\.1/);
    expect(s.nodes.importance!.status).toBe("succeeded");
  }, 300_000);
});
