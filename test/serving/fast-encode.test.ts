/**
 * The endpoint's direct row encoding equals applyPreprocess (what training, metrics and Batch score use) on
 * random rows: numbers, missing values, booleans, known, rare and unseen categories.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tableFromColumns } from "../../nodes/core/arrow";
import { applyPreprocess, fitPreprocess } from "../../nodes/training/preprocess";
import { compileEncoding } from "../../server/serving/fast-encode";

const cat = fc.constantFrom("a", "b", "c", "d", "e", "zz-unseen", null);
const num = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -1000, max: 1000 }), fc.constant(null));
const rows = fc.array(fc.record({ x: num, y: num, k: cat, j: cat }), { minLength: 1, maxLength: 40 });

describe("fast-encode", () => {
  it("equals applyPreprocess bit for bit", () => {
    // Fitted on rows without "zz-unseen", with a cap of 3 categories so rare ones share (other).
    const train = tableFromColumns({
      x: Float64Array.from([1, 2, 3, Number.NaN, 5, 8]),
      y: Float64Array.from([0, 0, 1, 1, 0, 7]),
      k: ["a", "a", "b", "c", "d", null],
      j: ["e", "e", "a", "b", "b", "c"],
    });
    const state = fitPreprocess(train, ["x", "y", "k", "j"], 3);
    const enc = compileEncoding(state);
    fc.assert(
      fc.property(rows, (rs) => {
        const cols = { x: rs.map((r) => r.x), y: rs.map((r) => r.y), k: rs.map((r) => r.k), j: rs.map((r) => r.j) };
        const table = tableFromColumns({
          x: Float64Array.from(cols.x, (v) => (v === null ? Number.NaN : v)),
          y: Float64Array.from(cols.y, (v) => (v === null ? Number.NaN : v)),
          k: cols.k,
          j: cols.j,
        });
        expect(Array.from(enc.encode(cols, rs.length))).toEqual(Array.from(applyPreprocess(state, table)));
      }),
      { numRuns: 300 },
    );
  });
});
