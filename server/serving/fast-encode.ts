/**
 * Row encoding for the online hot path of models that carry their own preprocessing (logistic regression,
 * MLP): request columns straight into the model's input matrix, with the arithmetic of
 * nodes/training/preprocess.ts `applyPreprocess` (float64 `(v - mean) / scale`, missing → 0; one indicator per
 * training category, `(other)` for rare ones, `(missing)`, unseen → all zeros), skipping the Arrow table that
 * costs more than the model itself on a single row. test/serving/fast-encode.test.ts checks it equals
 * applyPreprocess on random rows; the parity tests check the endpoint against Batch score.
 */
import type { PreprocessState } from "../../nodes/training/preprocess";

/** Compiled once per version: per encoder, its column offset and (categorical) category → indicator index. */
export interface CompiledEncoding {
  width: number;
  encode(cols: Record<string, unknown[]>, rows: number): Float32Array;
}

export function compileEncoding(state: PreprocessState): CompiledEncoding {
  const d = state.outputs.length;
  let offset = 0;
  const steps = state.encoders.map((e) => {
    const at = offset;
    if (e.kind === "numeric") {
      offset += 1;
      return { kind: "numeric" as const, name: e.name, at, mean: e.mean, scale: e.scale };
    }
    const index = new Map<string, number>();
    e.categories.forEach((c, j) => index.set(c, j));
    const other = e.rare.length ? e.categories.length : -1;
    for (const r of e.rare) index.set(r, other);
    const missing = e.missing ? e.categories.length + (e.rare.length ? 1 : 0) : -1;
    offset += e.categories.length + (e.rare.length ? 1 : 0) + (e.missing ? 1 : 0);
    return { kind: "categorical" as const, name: e.name, at, index, missing };
  });
  return {
    width: d,
    encode(cols, n) {
      const out = new Float32Array(n * d);
      for (const s of steps) {
        const x = cols[s.name];
        if (!x) throw new Error(`column "${s.name}" missing from validated rows`);
        if (s.kind === "numeric") {
          for (let i = 0; i < n; i++) {
            const raw = x[i];
            const v = raw === null || raw === undefined ? Number.NaN : typeof raw === "boolean" ? Number(raw) : (raw as number);
            out[i * d + s.at] = Number.isNaN(v) ? 0 : (v - s.mean) / s.scale;
          }
        } else {
          for (let i = 0; i < n; i++) {
            const raw = x[i];
            const j = raw === null || raw === undefined ? s.missing : (s.index.get(String(raw)) ?? -1);
            if (j >= 0) out[i * d + s.at + j] = 1;
          }
        }
      }
      return out;
    },
  };
}
