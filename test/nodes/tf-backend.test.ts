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
    if (!installed("@tensorflow/tfjs-node") && !installed("@tensorflow/tfjs-node-gpu") && a.backend !== "webgpu") {
      expect(a.backend).toBe("wasm");
      expect(line).toMatch(/skipped tensorflow-gpu: .*tfjs-node-gpu.*; tensorflow: .*tfjs-node.*; webgpu: /);
    }
    expect(a.tf.getBackend()).toBe(a.backend);
    expect(Array.from(await a.tf.tensor([1, 2, 3]).square().data())).toEqual([1, 4, 9]);
  });

  it("tries WebGPU only on a hardware adapter: without one it says why and LATTICE_TF_BACKEND=webgpu fails clearly", async () => {
    const { isSoftwareAdapter, hasVulkanLoader } = await fresh();
    if (process.platform === "linux") {
      expect(hasVulkanLoader({ LD_LIBRARY_PATH: "/opt/vk" }, (p) => p === "/opt/vk/libvulkan.so.1")).toBe(true);
      expect(hasVulkanLoader({}, () => false)).toBe(false);
    }
    expect(isSoftwareAdapter({ isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: "google", architecture: "swiftshader" } })).toBe(true);
    expect(isSoftwareAdapter({ info: { vendor: "mesa", device: "llvmpipe (LLVM 15.0.6, 256 bits)" } })).toBe(true);
    expect(isSoftwareAdapter({ isFallbackAdapter: false, info: { vendor: "nvidia", architecture: "hopper", device: "NVIDIA H100 80GB HBM3" } })).toBe(false);
    process.env.LATTICE_TF_BACKEND = "webgpu";
    const { loadTf } = await fresh();
    const r = await loadTf().then(
      (t) => ({ ok: t.backend }),
      (e: Error) => ({ error: e.message }),
    );
    // This machine decides which: a GPU machine loads it; one without a Vulkan GPU (CI) names the reason.
    if ("ok" in r) expect(r.ok).toBe("webgpu");
    else expect(r.error).toMatch(/^LATTICE_TF_BACKEND=webgpu could not load: (no Vulkan loader \(libvulkan\.so\.1\) on this machine|no WebGPU adapter \(no Vulkan GPU driver found\)|only a software WebGPU adapter|Cannot find package 'webgpu')/);
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
    await expect(loadTf()).rejects.toThrow(/LATTICE_TF_BACKEND="tpu" is not one of tensorflow-gpu, tensorflow, webgpu, wasm, cpu/);
    process.env.LATTICE_TF_BACKEND = "wasm";
    expect((await loadTf()).backend).toBe("wasm");
  });

  it.skipIf(installed("@tensorflow/tfjs-node"))("fails loudly when a forced native backend is not installed", async () => {
    process.env.LATTICE_TF_BACKEND = "tensorflow";
    const { loadTf } = await fresh();
    await expect(loadTf()).rejects.toThrow(/LATTICE_TF_BACKEND=tensorflow could not load/);
  });
});
