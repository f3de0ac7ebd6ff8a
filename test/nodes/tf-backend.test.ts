/**
 * server/engine/runtime/tf-backend.ts: the backend chain, the LATTICE_TF_BACKEND override and memoization.
 * Each test loads a fresh copy of the module (its memo is module state); tfjs itself stays loaded.
 */
import { createRequire } from "node:module";
import { afterEach, describe, expect, it, vi } from "vitest";

type Mod = typeof import("../../server/engine/runtime/tf-backend");
const fresh = async (): Promise<Mod> => {
  vi.resetModules();
  return import("../../server/engine/runtime/tf-backend");
};
const saved = process.env.LATTICE_TF_BACKEND;
const installed = (pkg: string) => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

afterEach(() => {
  if (saved === undefined) delete process.env.LATTICE_TF_BACKEND;
  else process.env.LATTICE_TF_BACKEND = saved;
});

describe("loadTf", () => {
  it("picks the best available backend, says why in one log line, and loads once", async () => {
    delete process.env.LATTICE_TF_BACKEND;
    const { loadTf } = await fresh();
    const a = await loadTf();
    const b = await loadTf();
    expect(b).toBe(a);
    const line = a.detail;
    expect(line).toContain(`TensorFlow.js backend: ${a.backend}`);
    if (!installed("@tensorflow/tfjs-node") && !installed("@tensorflow/tfjs-node-gpu")) {
      expect(a.backend).toBe("wasm");
      expect(line).toMatch(/skipped tensorflow-gpu: .*tfjs-node-gpu.*; tensorflow: .*tfjs-node/);
    }
    expect(a.tf.getBackend()).toBe(a.backend);
    expect(Array.from(await a.tf.tensor([1, 2, 3]).square().data())).toEqual([1, 4, 9]);
  });

  it("honours LATTICE_TF_BACKEND=cpu", async () => {
    process.env.LATTICE_TF_BACKEND = "cpu";
    const { loadTf } = await fresh();
    const { tf, backend, detail } = await loadTf();
    expect(backend).toBe("cpu");
    expect(detail).toContain("forced by LATTICE_TF_BACKEND");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("rejects an unknown LATTICE_TF_BACKEND, then retries once it is fixed", async () => {
    process.env.LATTICE_TF_BACKEND = "tpu";
    const { loadTf } = await fresh();
    await expect(loadTf()).rejects.toThrow(/LATTICE_TF_BACKEND="tpu" is not one of tensorflow-gpu, tensorflow, wasm, cpu/);
    process.env.LATTICE_TF_BACKEND = "wasm";
    expect((await loadTf()).backend).toBe("wasm");
  });

  it.skipIf(installed("@tensorflow/tfjs-node"))("fails loudly when a forced native backend is not installed", async () => {
    process.env.LATTICE_TF_BACKEND = "tensorflow";
    const { loadTf } = await fresh();
    await expect(loadTf()).rejects.toThrow(/LATTICE_TF_BACKEND=tensorflow could not load/);
  });
});
