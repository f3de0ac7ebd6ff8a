/**
 * LATTICE_FILE_ROOTS: where the File source may read on a shared server. Unset, any path (one person's own
 * machine); set, only inside those folders, the artifact store and the uploads folder — `..`, absolute paths
 * and links leading outside are refused on the node's "path" field, at analysis (probe) and at run time.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { registry } from "../../nodes/catalog";
import { createAnalyzer } from "../../server/engine/analyze";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { resolveReadablePath } from "../../server/engine/runtime/file-roots";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";
import { FileArtifactStore } from "../../server/store/artifact-store";

const dir = mkdtempSync(join(tmpdir(), "lattice-file-roots-"));
const data = join(dir, "data");
const outside = join(dir, "outside");
mkdirSync(data);
mkdirSync(outside);
writeFileSync(join(data, "ok.csv"), "x,y\n1,a\n2,b\n");
writeFileSync(join(outside, "secret.csv"), "password\nhunter2\n");
symlinkSync(join(outside, "secret.csv"), join(data, "link.csv"));
const runtime = createNodeRuntime();
afterEach(() => vi.unstubAllEnvs());
afterAll(async () => {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

const refused = (p: string, opts: Parameters<typeof resolveReadablePath>[1] = {}) => {
  try {
    resolveReadablePath(p, opts);
  } catch (e) {
    return e as { code: string; field: string; message: string };
  }
  throw new Error(`${p} was not refused`);
};

describe("resolveReadablePath", () => {
  it("reads anywhere when LATTICE_FILE_ROOTS is unset", () => {
    vi.stubEnv("LATTICE_FILE_ROOTS", "");
    expect(resolveReadablePath("/etc/passwd")).toBe("/etc/passwd");
    expect(resolveReadablePath("ok.csv", { baseDir: data })).toBe(join(data, "ok.csv"));
  });

  it("only inside the roots when set: absolute, relative, .. and links leading out are refused", () => {
    vi.stubEnv("LATTICE_FILE_ROOTS", data);
    vi.stubEnv("LATTICE_DATA_DIR", join(dir, "lattice"));
    expect(resolveReadablePath(join(data, "ok.csv"))).toBe(join(data, "ok.csv"));
    expect(resolveReadablePath("ok.csv", { baseDir: data })).toBe(join(data, "ok.csv"));
    expect(resolveReadablePath(join(data, "not-yet.csv"))).toBe(join(data, "not-yet.csv")); // missing: the reader says so
    for (const [p, baseDir] of [["/etc/passwd", undefined], [join(outside, "secret.csv"), undefined], ["../outside/secret.csv", data], [join(data, "link.csv"), undefined], [join(outside, "nope.csv"), undefined]] as const) {
      const e = refused(p, { baseDir });
      expect(e).toMatchObject({ code: "path_not_allowed", field: "path" });
      expect(e.message).toContain(`"${p}" is outside the folders`);
      expect(e.message).toContain("LATTICE_FILE_ROOTS");
    }
  });

  it("keeps the artifact store and the uploads folder readable", () => {
    vi.stubEnv("LATTICE_FILE_ROOTS", data);
    vi.stubEnv("LATTICE_DATA_DIR", join(dir, "lattice"));
    expect(resolveReadablePath(join(dir, "lattice", "uploads", "abc", "up.csv"))).toBe(join(dir, "lattice", "uploads", "abc", "up.csv"));
    expect(resolveReadablePath(join(outside, "secret.csv"), { alsoAllowed: [outside] })).toBe(join(outside, "secret.csv"));
    // A sibling whose name merely starts with the root's is not inside it.
    expect(refused(`${data}-other/x.csv`).code).toBe("path_not_allowed");
  });
});

describe("the File source with LATTICE_FILE_ROOTS", () => {
  const wf = (path: string): Workflow => ({
    formatVersion: 1,
    name: "f",
    nodes: [{ id: "src", kind: "sources/file", version: 1, params: { path }, position: { x: 0, y: 0 } }],
    edges: [],
  });

  it("is refused at analysis and at run time outside the roots, and reads inside them", async () => {
    vi.stubEnv("LATTICE_FILE_ROOTS", data);
    const analyzer = createAnalyzer(registry, runtime);
    const bad = await analyzer.analyze(wf(join(outside, "secret.csv")), dir);
    expect(bad.issues).toEqual(expect.arrayContaining([expect.objectContaining({ nodeId: "src", code: "path_not_allowed", field: "path" })]));
    const good = await analyzer.analyze(wf(join(data, "ok.csv")), dir);
    expect(good.ok).toBe(true);

    // At run time too (a plan made before the setting, or a graph that skipped analysis).
    const store = new FileArtifactStore(join(dir, "artifacts"));
    const executor = new InProcessExecutor({ registry, store, runtime });
    let n = 0;
    const run = (w: Workflow) => executor.start({ runId: `r${++n}`, plan: compileGraph(w, registry), baseDir: dir, noCache: true, sink: { emit: () => {} } }).done;
    const r = await run(wf(join(outside, "secret.csv")));
    expect(r.nodes.src).toMatchObject({ status: "failed", error: { code: "path_not_allowed", field: "path" } });
    const ok = await run(wf(join(data, "ok.csv")));
    expect(ok.nodes.src!.status).toBe("succeeded");
  });
});
