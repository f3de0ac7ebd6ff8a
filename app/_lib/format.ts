/** Small display helpers shared by pages. */

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m} min ${s} s`;
}

export function formatAgo(d: Date | string | number | null | undefined, now = Date.now()): string {
  if (d == null) return "";
  const t = new Date(d).getTime();
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  if (s < 86_400 * 7) return `${Math.round(s / 86_400)} d ago`;
  return new Date(t).toLocaleDateString();
}

export function formatTime(d: Date | string | number | null | undefined): string {
  if (d == null) return "";
  return new Date(d).toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** Numbers in tables and metrics: 4 significant digits, integers as is. */
export function formatNumber(v: unknown): string {
  if (v == null) return "—";
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString();
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return v.toFixed(a >= 100 ? 1 : a >= 1 ? 3 : 4).replace(/\.?0+$/, "");
}

const METRIC_NAMES: Record<string, string> = {
  roc_auc: "ROC-AUC",
  auc: "AUC",
  pr_auc: "PR-AUC",
  accuracy: "Accuracy",
  balanced_accuracy: "Balanced acc.",
  f1: "F1",
  precision: "Precision",
  recall: "Recall",
  log_loss: "Log loss",
  logloss: "Log loss",
  loss: "Loss",
  val_loss: "Val. loss",
  rmse: "RMSE",
  mae: "MAE",
  r2: "R²",
  rows: "Rows",
  brier: "Brier",
};

/** `roc_auc` → `ROC-AUC`; unknown names get spaces and a capital. */
export function metricLabel(name: string): string {
  const known = METRIC_NAMES[name];
  if (known) return known;
  const s = name.replace(/[_-]+/g, " ").trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
