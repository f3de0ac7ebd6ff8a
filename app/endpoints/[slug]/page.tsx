"use client";
/**
 * One endpoint: versions and rollout (live, canary, rollback), API keys, how to call it (snippets, try it),
 * traffic and input drift. Refreshes every 5 s so traffic figures move while someone calls it.
 */
import Link from "next/link";
import { useParams } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import type { EndpointDetail } from "../../../server/serving/types";
import { formatTime } from "../../_lib/format";
import { ErrorBox, PageShell } from "../../_lib/page-shell";
import { useCan } from "../../_lib/session";
import { describeCallError, trpc } from "../../_lib/trpc";
import styles from "../endpoints.module.css";
import { Keys } from "./keys";
import { Drift, Stats } from "./monitoring";
import { Snippets, TryIt } from "./try-it";
import { Versions } from "./versions";

export default function EndpointPage() {
  const { slug } = useParams<{ slug: string }>();
  const [detail, setDetail] = useState<EndpointDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [apiKey, setApiKey] = useState("");
  const [published, setPublished] = useState<string | null>(null);
  const isAdmin = useCan("admin");

  const load = useCallback(() => {
    trpc.endpoints.get.query({ slug }).then(
      (d) => (setDetail(d), setError(undefined)),
      (e: unknown) => setError(describeCallError(e).message),
    );
  }, [slug]);

  useEffect(() => {
    setPublished(new URLSearchParams(window.location.search).get("published"));
    load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, [load]);

  return (
    <PageShell crumbs={<><Link href="/endpoints">/ Endpoints</Link> / {slug}</>} ready={!!detail}>
      <ErrorBox message={error} />
      {detail && (
        <>
          <div className={styles.heading}>
            <h1 data-testid="endpoint-name">{detail.name}</h1>
            <code className="muted">POST /api/v1/endpoints/{detail.slug}/predict</code>
            {detail.liveVersion !== null ? <span className={`${styles.pill} ${styles.live}`}>live v{detail.liveVersion}</span> : <span className="muted">no live version</span>}
            {detail.canaryVersion !== null && detail.canaryPercent > 0 && <span className={`${styles.pill} ${styles.canary}`}>canary v{detail.canaryVersion} · {detail.canaryPercent}%</span>}
            <span className="spacer" />
            <Link href={`/workflows/${encodeURIComponent(detail.workflowId)}`} className="small">Open the workflow</Link>
            {isAdmin && <Link href={`/audit?target=${encodeURIComponent(`endpoint:${detail.slug}`)}`} className="small">History</Link>}
            <span className="muted small">created {formatTime(detail.createdAt)}</span>
          </div>
          {published && (
            <div className="notice" style={{ background: "#f0fdf4", border: "1px solid #bbf7d0", borderRadius: 6, padding: "8px 10px" }} data-testid="published-notice">
              Version {published} published{detail.liveVersion === Number(published) ? " and live" : ": make it live or send it canary traffic below"}.
            </div>
          )}
          <Versions detail={detail} onChanged={load} />
          <div className={styles.grid2}>
            <Stats detail={detail} />
            <Drift detail={detail} />
          </div>
          <Keys detail={detail} onChanged={load} onCreated={setApiKey} />
          <Snippets detail={detail} />
          <TryIt detail={detail} apiKey={apiKey} onKeyChange={setApiKey} />
        </>
      )}
    </PageShell>
  );
}
