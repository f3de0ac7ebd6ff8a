/**
 * Small seeded classification tables for the training and evaluation node tests.
 */
import type { Table } from "apache-arrow";
import { tableFromColumns } from "../../nodes/core/arrow";
import { mulberry32 } from "../../nodes/core/random";

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * Two numeric features and a text one drive a yes/no label (nearly separable); `id` (role id) and `group`
 * (role sensitive) are noise that must stay out of the features by default. `x2` has some missing values.
 */
export function binaryTable(n: number, seed = 1): Table {
  const r = mulberry32(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const color: Array<string | null> = [];
  const group: string[] = [];
  const label: string[] = [];
  const id = new Float64Array(n);
  const colors = ["red", "green", "blue"];
  for (let i = 0; i < n; i++) {
    x1[i] = normal(r);
    x2[i] = normal(r) * 3 + 10;
    const c = colors[Math.floor(r() * 3)]!;
    color.push(r() < 0.05 ? null : c);
    group.push(r() < 0.5 ? "a" : "b");
    id[i] = i;
    const z = 2.5 * x1[i]! + 1.5 * (x2[i]! - 10) / 3 + (c === "red" ? 2 : c === "blue" ? -2 : 0) + 0.3 * normal(r);
    label.push(z > 0 ? "yes" : "no");
    if (r() < 0.05) x2[i] = NaN;
  }
  return tableFromColumns({ id, x1, x2, color, group, label }, { id: "id", group: "sensitive" });
}

/** Three well-separated classes along two numeric features. */
export function multiclassTable(n: number, seed = 2): Table {
  const r = mulberry32(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const kind: string[] = [];
  const centers: Array<[string, number, number]> = [
    ["cat", 0, 3],
    ["dog", 3, -2],
    ["eel", -3, -2],
  ];
  for (let i = 0; i < n; i++) {
    const [name, cx, cy] = centers[i % 3]!;
    a[i] = cx + normal(r);
    b[i] = cy + normal(r);
    kind.push(name);
  }
  return tableFromColumns({ a, b, kind }, { kind: "label" });
}
