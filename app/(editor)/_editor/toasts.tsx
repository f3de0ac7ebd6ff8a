"use client";
/** Toast notifications (connection refusals, run results, errors). Errors stay until closed. */
import { useEffect } from "react";
import { actions, useEditor, type Toast } from "./store";

function ToastView({ t }: { t: Toast }) {
  useEffect(() => {
    const ms = t.kind === "error" ? 12_000 : 4_000;
    const h = setTimeout(() => actions.dismissToast(t.id), ms);
    return () => clearTimeout(h);
  }, [t.id, t.kind]);
  return (
    <div className={`toast toast-${t.kind}`} role={t.kind === "error" ? "alert" : "status"} data-testid={`toast-${t.kind}`}>
      <div className="toast-msg">{t.message}</div>
      {t.detail && (
        <ul>
          {t.detail.map((d, i) => (
            <li key={i}>{d}</li>
          ))}
        </ul>
      )}
      <button className="btn-link" onClick={() => actions.dismissToast(t.id)} aria-label="Dismiss">✕</button>
    </div>
  );
}

export function Toasts() {
  const toasts = useEditor((s) => s.toasts);
  return (
    <div className="toasts">
      {toasts.map((t) => (
        <ToastView key={t.id} t={t} />
      ))}
    </div>
  );
}
