/**
 * The search space of the tuning node: per trainer setting, either a list of values or a numeric range
 * (linear or log scale, whole or decimal numbers). Resolved against the chosen trainer's own settings, so a
 * misspelled or unsuitable setting is a clear error naming it. A point of the space is one number per
 * dimension: the value itself for ranges (its logarithm on a log scale), the index of the value for lists.
 */
import { z } from "zod";
import { fail } from "../core/errors";
import { coerceSetting, requireSetting, type TrainerId } from "./trainers";

const rangeEntry = z
  .object({
    type: z.literal("range"),
    param: z.string().default("").meta({ ui: "trainer-setting", title: "Setting", description: "The trainer setting to tune (the list shows the chosen trainer's settings)." }),
    low: z.number().default(0.001).meta({ title: "From" }),
    high: z.number().default(0.1).meta({ title: "To" }),
    scale: z.enum(["log", "linear"]).default("log").meta({ title: "Scale", description: "log: every factor of ten is equally likely (learning rates, penalties); linear: every value is." }),
    numberType: z.enum(["auto", "float", "int"]).default("auto").meta({ title: "Numbers", description: "auto: whole numbers for settings that take only whole numbers (rounds, units), decimals otherwise." }),
  })
  .meta({ title: "Range" });

const valuesEntry = z
  .object({
    type: z.literal("values"),
    param: z.string().default("").meta({ ui: "trainer-setting", title: "Setting", description: "The trainer setting to tune (the list shows the chosen trainer's settings)." }),
    values: z.array(z.string()).default([]).meta({ title: "Values", itemLabel: "value", description: "Each value to try, as you would type it: 0.01, relu, true, or 64, 32 for layers." }),
  })
  .meta({ title: "List of values" });

export const spaceEntry = z.discriminatedUnion("type", [rangeEntry, valuesEntry]);
export type SpaceEntry = z.output<typeof spaceEntry>;

export type Dimension =
  | { kind: "float" | "int"; param: string; low: number; high: number; log: boolean }
  | { kind: "choice"; param: string; choices: unknown[]; labels: string[] };

/** A point: one number per dimension (see the file comment). */
export type Point = number[];

/** The dimensions of `entries` for trainer `id`; every problem is a user error naming the setting. */
export function resolveSpace(id: TrainerId, entries: SpaceEntry[], field = "space"): Dimension[] {
  if (!entries.length) fail("empty_space", "The search space is empty: add at least one setting to tune (a range or a list of values).", field);
  const seen = new Set<string>();
  return entries.map((e, i) => {
    const where = `Search space, entry ${i + 1}`;
    const name = e.param.trim();
    if (!name) fail("no_setting", `${where}: choose the setting to tune.`, field);
    if (seen.has(name)) fail("duplicate_setting", `Search space: "${name}" appears more than once; give each setting one entry.`, field);
    seen.add(name);
    const s = requireSetting(id, name, where, field);
    if (e.type === "values") {
      if (!e.values.length) fail("no_values", `Search space: "${name}" has no values; add at least one.`, field);
      const choices = e.values.map((v) => coerceSetting(id, name, v, `Search space, "${name}"`, field));
      return { kind: "choice", param: name, choices, labels: choices.map(label) };
    }
    if (s.type !== "number" && s.type !== "integer")
      fail("range_not_numeric", `Search space: "${name}" takes ${s.enum ? `one of ${s.enum.join(", ")}` : `a ${s.type}`}, not a number; use a list of values for it.`, field);
    const kind = e.numberType === "auto" ? (s.type === "integer" ? "int" : "float") : e.numberType;
    if (kind === "float" && s.type === "integer") fail("range_not_integer", `Search space: "${name}" takes whole numbers only; set Numbers to int (or auto).`, field);
    if (!(e.low < e.high)) fail("empty_range", `Search space: the range of "${name}" must go from a lower to a higher number (got ${e.low} to ${e.high}).`, field);
    if (e.scale === "log" && e.low <= 0) fail("log_range_not_positive", `Search space: "${name}" has a log scale, so its range must start above 0 (got ${e.low}).`, field);
    if (kind === "int" && Math.ceil(e.low) > Math.floor(e.high)) fail("empty_range", `Search space: the range of "${name}" (${e.low} to ${e.high}) holds no whole number.`, field);
    // Both ends must be values the trainer accepts.
    for (const v of [e.low, e.high]) coerceSetting(id, name, kind === "int" ? Math.round(v) : v, `Search space, "${name}"`, field);
    const low = kind === "int" ? Math.ceil(e.low) : e.low;
    const high = kind === "int" ? Math.floor(e.high) : e.high;
    return { kind, param: name, low, high, log: e.scale === "log" };
  });
}

function label(v: unknown): string {
  return Array.isArray(v) ? v.join(", ") : String(v);
}

/** Internal coordinates of a range: its bounds on the scale the search works in. */
export function bounds(d: Extract<Dimension, { kind: "float" | "int" }>): [number, number] {
  // Whole numbers own the interval ±0.5 around them, so the ends are as likely as the middle.
  const lo = d.kind === "int" ? d.low - 0.5 : d.low;
  const hi = d.kind === "int" ? d.high + 0.5 : d.high;
  // Log ranges start above 0 and int ranges at 1 or more, so lo > 0 here.
  return d.log ? [Math.log(lo), Math.log(hi)] : [lo, hi];
}

/** A coordinate in internal units turned into the dimension's value (rounded and clamped for whole numbers). */
export function fromInternal(d: Dimension, x: number): number {
  if (d.kind === "choice") return Math.min(d.choices.length - 1, Math.max(0, Math.round(x)));
  const v = d.log ? Math.exp(x) : x;
  if (d.kind === "int") return Math.min(d.high, Math.max(d.low, Math.round(v)));
  // 12 significant digits: exp(log(x)) round trips show as 0.01, not 0.010000000000000005.
  return Math.min(d.high, Math.max(d.low, Number(v.toPrecision(12))));
}

/** The coordinate of a point's value in internal units (inverse of {@link fromInternal}). */
export function toInternal(d: Dimension, v: number): number {
  return d.kind !== "choice" && d.log ? Math.log(v) : v;
}

/** Uniform in each range (log-uniform on a log scale), uniform over each list. */
export function randomPoint(dims: Dimension[], random: () => number): Point {
  return dims.map((d) => {
    if (d.kind === "choice") return Math.floor(random() * d.choices.length);
    const [lo, hi] = bounds(d);
    return fromInternal(d, lo + random() * (hi - lo));
  });
}

/**
 * Every combination, the first dimension changing slowest. Lists contribute their values; ranges
 * `pointsPerRange` evenly spaced values (geometrically on a log scale; distinct whole numbers for int ranges).
 */
export function gridPoints(dims: Dimension[], pointsPerRange: number): Point[] {
  const axes = dims.map((d): number[] => {
    if (d.kind === "choice") return d.choices.map((_, i) => i);
    if (pointsPerRange === 1) return [fromInternal(d, d.log ? (Math.log(d.low) + Math.log(d.high)) / 2 : (d.low + d.high) / 2)];
    const [lo, hi] = d.log ? [Math.log(d.low), Math.log(d.high)] : [d.low, d.high];
    const vals = Array.from({ length: pointsPerRange }, (_, i) => fromInternal(d, lo + ((hi - lo) * i) / (pointsPerRange - 1)));
    return [...new Set(vals)];
  });
  let out: Point[] = [[]];
  for (const axis of axes) out = out.flatMap((p) => axis.map((v) => [...p, v]));
  return out;
}

/** Trainer settings of a point. */
export function pointSettings(dims: Dimension[], point: Point): Record<string, unknown> {
  return Object.fromEntries(dims.map((d, i) => [d.param, d.kind === "choice" ? d.choices[point[i]!] : point[i]!]));
}

/** Display value of a point's coordinate: the number for ranges and lists of numbers, text otherwise. */
export function pointLabels(dims: Dimension[], point: Point): Array<string | number> {
  return dims.map((d, i) => (d.kind !== "choice" ? point[i]! : numericChoices(d) ? (d.choices[point[i]!] as number) : d.labels[point[i]!]!));
}

/** A list whose values are all numbers (shown and stored as numbers). */
export function numericChoices(d: Dimension): boolean {
  return d.kind === "choice" && d.choices.every((c) => typeof c === "number");
}
