import { describe, expect, it } from "vitest";
import { tableFromColumns } from "../core/arrow";
import { NodeUserError } from "../core/errors";
import { applyPreprocess, fitPreprocess } from "./preprocess";

const train = tableFromColumns({
  num: Float64Array.from([1, 2, 3, NaN]),
  color: ["red", "red", "blue", null],
  flag: [true, false, true, false],
});

describe("fitPreprocess / applyPreprocess", () => {
  const state = fitPreprocess(train, ["num", "color", "flag"], 50);

  it("standardizes numbers with training statistics and imputes the mean for missing values", () => {
    const e = state.encoders[0]!;
    expect(e).toMatchObject({ kind: "numeric", mean: 2 });
    expect(e.kind === "numeric" && e.scale).toBeCloseTo(Math.sqrt(2 / 3), 12);
    const x = applyPreprocess(state, train);
    const d = state.outputs.length;
    expect([x[0], x[d], x[2 * d], x[3 * d]].map((v) => Number(v!.toFixed(5)))).toEqual([-1.22474, 0, 1.22474, 0]);
  });

  it("one-hot encodes text, most frequent first, with a (missing) indicator", () => {
    expect(state.outputs).toEqual(["num", "color=red", "color=blue", "color=(missing)", "flag"]);
    const x = applyPreprocess(state, train);
    const row = (i: number) => Array.from(x.subarray(i * 5 + 1, i * 5 + 4));
    expect(row(0)).toEqual([1, 0, 0]);
    expect(row(2)).toEqual([0, 1, 0]);
    expect(row(3)).toEqual([0, 0, 1]);
  });

  it("encodes a category never seen in training as all zeros", () => {
    const other = tableFromColumns({ num: Float64Array.from([2]), color: ["green"], flag: [true] });
    const x = applyPreprocess(state, other);
    expect(Array.from(x.subarray(1, 4))).toEqual([0, 0, 0]);
  });

  it("sends categories beyond the cap to a shared (other) indicator", () => {
    const t = tableFromColumns({ c: ["a", "a", "a", "b", "b", "c", "d"] });
    const s = fitPreprocess(t, ["c"], 2);
    expect(s.outputs).toEqual(["c=a", "c=b", "c=(other)"]);
    const x = applyPreprocess(s, tableFromColumns({ c: ["d", "c", "zzz"] }));
    expect(Array.from(x)).toEqual([0, 0, 1, 0, 0, 1, 0, 0, 0]);
  });

  it("names the column a scored table lacks", () => {
    const t = tableFromColumns({ num: Float64Array.from([1]), flag: [true] });
    expect(() => applyPreprocess(state, t)).toThrow(NodeUserError);
    expect(() => applyPreprocess(state, t)).toThrow(/needs column "color"/);
  });
});
