"use client";
/**
 * Publish: shows the workflow's validation/fairness gate checks (passed or failed, with reasons), then creates
 * an endpoint version from the trained run. A failing gate refuses publishing; an admin may override it with a
 * reason, which goes into the audit log.
 */
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { TRPCClientError } from "@trpc/client";
import type { EndpointSummary, GateCheck, GateResult } from "../../../server/serving/types";
import { useCan } from "../../_lib/session";
import { describeCallError, trpc } from "../../_lib/trpc";
import styles from "../../_lib/ui.module.css";
import { useEditor } from "./store";

/** `Adult income (GBDT)` → `adult-income-gbdt`. */
export function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60)
      .replace(/-+$/, "") || "endpoint"
  );
}

export function GateChecks({ checks }: { checks: GateCheck[] }) {
  if (!checks.length) return <p className="muted small" data-testid="gate-none">This workflow has no validation or fairness gate, so there is nothing to check.</p>;
  return (
    <ul className={styles.checks} data-testid="gate-checks">
      {checks.map((c) => (
        <li key={c.nodeId} className={`${styles.check} ${c.passed ? styles.checkPassed : styles.checkFailed}`} data-testid={`gate-check-${c.nodeId}`} data-passed={c.passed}>
          <span className={styles.checkHead}>
            <span className={`${styles.mark} ${c.passed ? styles.markPassed : styles.markFailed}`}>{c.passed ? "✓" : "✕"}</span>
            {c.label}
            <span className="muted small">{c.kind}</span>
            <span className="spacer" />
            <span className={c.passed ? "ok small" : "err small"}>{c.passed ? "passed" : "failed"}</span>
          </span>
          {!c.passed && c.reasons.length > 0 && (
            <ul className={styles.checkReasons}>
              {c.reasons.map((r, i) => (
                <li key={i}>{r}</li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}

export function PublishDialog({ onClose }: { onClose(): void }) {
  const router = useRouter();
  const workflowId = useEditor((s) => s.workflowId);
  const name = useEditor((s) => s.name);
  const dirty = useEditor((s) => s.dirty);
  // The run on screen when it succeeded; otherwise the server takes the latest succeeded run.
  const runId = useEditor((s) => (s.run?.status === "succeeded" ? s.run.runId : undefined));
  const canPublish = useCan("editor");
  const isAdmin = useCan("admin");

  const [gate, setGate] = useState<GateResult | undefined>();
  const [gateError, setGateError] = useState<string | undefined>();
  const [existing, setExisting] = useState<EndpointSummary[]>([]);
  const [slug, setSlug] = useState(() => slugify(name));
  const [makeLive, setMakeLive] = useState(false);
  const [override, setOverride] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; reasons?: string[] } | undefined>();

  useEffect(() => {
    if (!workflowId) return;
    trpc.endpoints.checkGate.query({ workflowId, runId }).then(setGate, (e: unknown) => setGateError(describeCallError(e).message));
    trpc.endpoints.list.query().then(setExisting, () => setExisting([]));
  }, [workflowId, runId]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const target = existing.find((e) => e.slug === slug);
  const slugOk = /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug);
  const failing = gate ? !gate.passed : false;
  const overriding = failing && isAdmin && override;
  const ready = canPublish && !!gate && slugOk && !busy && (!failing || (overriding && reason.trim().length >= 3));

  const publish = async () => {
    if (!workflowId) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await trpc.endpoints.publish.mutate({
        workflowId,
        runId,
        slug,
        name: target ? undefined : name,
        makeLive: target ? makeLive : true,
        override: overriding ? { reason: reason.trim() } : undefined,
      });
      router.push(`/endpoints/${encodeURIComponent(r.slug)}?published=${r.version}`);
    } catch (e) {
      const data = e instanceof TRPCClientError ? (e.data as { gate?: GateResult; issues?: Array<{ message: string }> } | undefined) : undefined;
      if (data?.gate) setGate(data.gate);
      setError({ message: describeCallError(e).message, reasons: data?.gate ? undefined : data?.issues?.map((i) => i.message) });
      setBusy(false);
    }
  };

  return (
    <div className={styles.backdrop} onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={styles.dialog} role="dialog" aria-modal="true" aria-labelledby="publish-title" data-testid="publish-dialog">
        <h2 id="publish-title">Publish “{name}” as an endpoint</h2>
        <p className="muted small" style={{ margin: 0 }}>
          Creates an immutable endpoint version from the trained run{runId ? ` shown now (${runId.slice(0, 8)})` : " (the latest successful one)"}: its models and fitted transforms are served as they are, never retrained.
        </p>
        {dirty && <div className="error-box">This workflow has unsaved changes. Publishing uses the last saved version and its latest successful run.</div>}
        {!canPublish && (
          <div className="error-box" role="alert" data-testid="publish-forbidden">
            <b>Publishing needs the editor role.</b> You are signed in as a viewer; ask an admin to change your role.
          </div>
        )}

        <label className={styles.field}>
          <span>Endpoint</span>
          <input className="input mono" value={slug} onChange={(e) => setSlug(e.target.value.trim())} data-testid="publish-slug" aria-invalid={!slugOk} />
          <span className={styles.hint}>
            {!slugOk
              ? "Use lowercase letters, digits and single dashes, e.g. adult-income."
              : target
                ? `Adds a new version to the existing endpoint “${target.name}”${target.liveVersion === null ? "" : ` (live now: v${target.liveVersion})`}.`
                : `A new endpoint at /api/v1/endpoints/${slug}/predict; this first version goes live at once.`}
          </span>
        </label>
        {target && (
          <label className="switch">
            <input type="checkbox" checked={makeLive} onChange={(e) => setMakeLive(e.target.checked)} data-testid="publish-make-live" />
            Make the new version live now (otherwise promote it or send it canary traffic from the endpoint page)
          </label>
        )}

        <div>
          <h4 style={{ marginBottom: 6 }}>Gate checks</h4>
          {gateError ? (
            <div className="error-box" role="alert" data-testid="gate-error"><b>{gateError}</b></div>
          ) : !gate ? (
            <p className="muted">Checking…</p>
          ) : (
            <>
              <GateChecks checks={gate.checks} />
              {failing && <p className="err small" data-testid="gate-refused">Publishing is refused while a gate fails. Fix the workflow and run it again{isAdmin ? ", or override the gate below." : "; an admin can override the gate."}</p>}
            </>
          )}
        </div>

        {failing && isAdmin && (
          <div className={styles.override} data-testid="gate-override">
            <label className="switch">
              <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} data-testid="override-toggle" />
              <b>Override the gate</b> (admin; recorded in the audit log)
            </label>
            {override && (
              <label className={styles.field}>
                <span>Reason (required)</span>
                <textarea className="input" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Why is publishing this acceptable despite the failing check?" data-testid="override-reason" />
              </label>
            )}
          </div>
        )}

        {error && (
          <div className="error-box" role="alert" data-testid="publish-error">
            <b>{error.message}</b>
            {error.reasons && error.reasons.length > 0 && (
              <ul>
                {error.reasons.map((r, i) => (
                  <li key={i}>{r}</li>
                ))}
              </ul>
            )}
          </div>
        )}

        <div className={styles.dialogActions}>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button
            className="btn btn-primary"
            onClick={() => void publish()}
            disabled={!ready}
            data-testid="publish-confirm"
            title={!canPublish ? "Publishing needs the editor role" : failing && !overriding ? "A gate fails" : undefined}
          >
            {busy ? "Publishing…" : overriding ? "Publish with override" : "Publish"}
          </button>
        </div>
      </div>
    </div>
  );
}
