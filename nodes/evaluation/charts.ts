/** Chart values for evaluation results (ROC curves, confusion matrices). */
import type { ChartSeries, ChartValue } from "../core/values";
import type { RocCurve } from "./metrics";

/** A chart needs no more points than a screen has pixels; large tables can give one ROC point per row. */
export const MAX_CHART_POINTS = 2000;

export function rocChart(curves: Array<{ name: string; curve: RocCurve }>, title = "ROC curve"): ChartValue {
  return {
    kind: "line",
    title,
    xLabel: "false positive rate",
    yLabel: "true positive rate",
    series: curves.map(({ name, curve }) => thin({ name, x: curve.fpr, y: curve.tpr })),
  };
}

/** Every ⌈n/MAX⌉-th point plus the last, so the curve keeps its ends (0,0) and (1,1). */
export function thin(s: ChartSeries, max = MAX_CHART_POINTS): ChartSeries {
  const n = s.x.length;
  if (n <= max) return s;
  const step = Math.ceil(n / max);
  const keep = (i: number) => i % step === 0 || i === n - 1;
  return { name: s.name, x: s.x.filter((_, i) => keep(i)), y: s.y.filter((_, i) => keep(i)) };
}

export function confusionChart(matrix: number[][], classes: string[]): ChartValue {
  return { kind: "heatmap", title: "Confusion matrix", xLabel: "predicted", yLabel: "actual", matrix, rowLabels: classes, colLabels: classes };
}
