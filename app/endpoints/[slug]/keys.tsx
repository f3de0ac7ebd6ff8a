"use client";
/** API keys of one endpoint: list, create (the key is shown once, with Copy), revoke. Admins only change them. */
import { useState } from "react";
import type { EndpointDetail } from "../../../server/serving/types";
import { formatAgo, formatTime } from "../../_lib/format";
import { useCan } from "../../_lib/session";
import { describeCallError, trpc } from "../../_lib/trpc";
import styles from "../endpoints.module.css";

export function CopyButton({ text, label = "Copy", testId }: { text: string; label?: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API needs a secure context (https or localhost); fall back to a selection copy.
      const ta = document.createElement("textarea");
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button className="btn btn-small" onClick={() => void copy()} data-testid={testId} type="button">
      {copied ? "Copied ✓" : label}
    </button>
  );
}

export function Keys({ detail, onChanged, onCreated }: { detail: EndpointDetail; onChanged(): void; onCreated(key: string): void }) {
  const isAdmin = useCan("admin");
  const [name, setName] = useState("");
  const [rate, setRate] = useState(600);
  const [created, setCreated] = useState<{ key: string; name: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await trpc.endpoints.createKey.mutate({ slug: detail.slug, name: name.trim(), rateLimitPerMinute: rate });
      setCreated({ key: r.key, name: r.summary.name });
      setName("");
      onCreated(r.key);
      onChanged();
    } catch (err) {
      setError(describeCallError(err).message);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (id: string, keyName: string) => {
    if (!window.confirm(`Revoke the key “${keyName}”? Applications using it get 401 from now on.`)) return;
    try {
      await trpc.endpoints.revokeKey.mutate({ slug: detail.slug, keyId: id });
      onChanged();
    } catch (err) {
      setError(describeCallError(err).message);
    }
  };

  return (
    <section className={styles.section} data-testid="keys">
      <div className={styles.sectionHead}>
        <h2>API keys</h2>
        {!isAdmin && <span className="muted small">Only admins create and revoke keys.</span>}
      </div>
      {created && (
        <div className={styles.newKey} data-testid="new-key">
          <b>Key “{created.name}” created. Copy it now: it is stored hashed and will not be shown again.</b>
          <code data-testid="new-key-value">{created.key}</code>
          <div className="row">
            <CopyButton text={created.key} label="Copy key" testId="copy-key" />
            <button className="btn btn-small" onClick={() => setCreated(undefined)}>Done</button>
          </div>
        </div>
      )}
      {error && <div className="error-box" role="alert"><b>{error}</b></div>}
      {detail.keys.length === 0 ? (
        <p className="muted small">No keys yet. Requests without a valid key are answered 401.</p>
      ) : (
        <table className="grid-table">
          <thead>
            <tr><th>Name</th><th>Key</th><th>Limit</th><th>Created</th><th>Last used</th><th /></tr>
          </thead>
          <tbody>
            {detail.keys.map((k) => (
              <tr key={k.id} data-testid={`key-${k.name}`} style={k.revokedAt ? { opacity: 0.55 } : undefined}>
                <td><b>{k.name}</b></td>
                <td className="mono">{k.prefix}…</td>
                <td>{k.rateLimitPerMinute}/min</td>
                <td title={formatTime(k.createdAt)}>{formatAgo(k.createdAt)}{k.createdBy && <span className="muted small"> by {k.createdBy}</span>}</td>
                <td>{k.lastUsedAt ? formatAgo(k.lastUsedAt) : <span className="muted">never</span>}</td>
                <td className="right">
                  {k.revokedAt ? (
                    <span className="muted small" title={formatTime(k.revokedAt)}>revoked {formatAgo(k.revokedAt)}</span>
                  ) : (
                    isAdmin && <button className="btn btn-small btn-danger" onClick={() => void revoke(k.id, k.name)} data-testid={`revoke-${k.name}`}>Revoke</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {isAdmin && (
        <form className={styles.controls} onSubmit={(e) => void create(e)}>
          <input className="input" style={{ width: 220 }} placeholder="Who uses it, e.g. billing-service" value={name} onChange={(e) => setName(e.target.value)} required aria-label="Key name" data-testid="key-name" />
          <label className="row small">
            Limit
            <input className="input" type="number" min={1} style={{ width: 90 }} value={rate} onChange={(e) => setRate(Math.max(1, Number(e.target.value) || 1))} aria-label="Requests per minute" />
            /min
          </label>
          <button className="btn btn-primary" type="submit" disabled={busy || !name.trim()} data-testid="create-key">Create key</button>
        </form>
      )}
    </section>
  );
}
