"use client";
/** Artifact previews, fetched once per content hash (artifacts are immutable, so the cache never goes stale). */
import { useEffect, useState } from "react";
import type { ArtifactPreview } from "../../../server/engine/services";
import { describeCallError, trpc } from "../../_lib/trpc";

type Entry = { preview?: ArtifactPreview; error?: string };
const cache = new Map<string, Promise<Entry>>();

function load(hash: string, portType: string): Promise<Entry> {
  const key = `${hash}:${portType}`;
  let p = cache.get(key);
  if (!p) {
    p = trpc.artifact.preview
      .query({ hash, portType: portType as never, limit: 50 })
      .then((preview) => ({ preview }))
      .catch((e: unknown) => {
        cache.delete(key);
        return { error: describeCallError(e).message };
      });
    cache.set(key, p);
  }
  return p;
}

export function useArtifact(hash: string | undefined, portType: string | undefined): Entry & { loading: boolean } {
  const [state, setState] = useState<Entry & { key?: string }>({});
  const key = hash && portType ? `${hash}:${portType}` : undefined;
  useEffect(() => {
    if (!hash || !portType) return;
    let alive = true;
    void load(hash, portType).then((e) => alive && setState({ ...e, key: `${hash}:${portType}` }));
    return () => {
      alive = false;
    };
  }, [hash, portType]);
  if (!key) return { loading: false };
  if (state.key !== key) return { loading: true };
  return { preview: state.preview, error: state.error, loading: false };
}
