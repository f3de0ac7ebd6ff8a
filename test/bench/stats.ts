export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: string;
  ok?: boolean;
  baseline?: string;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function printResults(title: string, rs: BenchResult[]) {
  console.log(`\n## ${title}`);
  for (const r of rs) {
    const v = r.value < 0.1 ? r.value.toFixed(4) : r.value < 10 ? r.value.toFixed(3) : r.value.toFixed(1);
    const verdict = r.ok === undefined ? "" : r.ok ? "  ✓" : "  ✗ MISSED";
    console.log(`- ${r.name}: ${v} ${r.unit}${r.target ? ` (target ${r.target})` : ""}${verdict}${r.baseline ? `\n    baseline: ${r.baseline}` : ""}`);
  }
}
