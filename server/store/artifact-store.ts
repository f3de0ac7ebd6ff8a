/**
 * Content-addressed artifact store on a local directory (default ./data/artifacts): blobs live at
 * `<root>/blobs/<aa>/<hash>`, cache entries at `<root>/cache/<aa>/<key>.json`. Writes go to a temp file and
 * are renamed into place, so concurrent writers (worker threads, queued workers sharing the root) never
 * expose a half-written blob. The interface is narrow (put/get/has + cache) so S3-compatible storage can
 * implement it too.
 */
import { mkdirSync } from "node:fs";
import { access, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { sha256 } from "../graph/cache-key";
import type { ArtifactStore, CacheEntry } from "../engine/types";

const HASH = /^[0-9a-f]{64}$/;

export class FileArtifactStore implements ArtifactStore {
  readonly root: string;
  private readonly madeDirs = new Set<string>();
  /**
   * Blobs and cache entries this process has written or read from disk. Content addressing makes a repeated
   * put of the same bytes (or the same cache key) a no-op, so these skip the filesystem round trip, which
   * dominated per-node overhead for small values. Deleting files under a running server is not supported.
   */
  private readonly knownBlobs = new BoundedMap<true>(100_000);
  private readonly knownCache = new BoundedMap<CacheEntry>(20_000);

  constructor(root = "./data/artifacts") {
    this.root = resolve(root);
    mkdirSync(join(this.root, "tmp"), { recursive: true });
  }

  localPath(hash: string): string {
    if (!HASH.test(hash)) throw new Error(`Not an artifact hash: ${hash}`);
    return join(this.root, "blobs", hash.slice(0, 2), hash);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const hash = sha256(bytes);
    if (this.knownBlobs.has(hash)) return hash;
    const path = this.localPath(hash);
    if (!(await exists(path))) await this.writeAtomic(path, bytes);
    this.knownBlobs.set(hash, true);
    return hash;
  }

  async get(hash: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.localPath(hash)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw new Error(`Artifact ${hash.slice(0, 12)}… is missing from the store at ${this.root}. It may have been deleted; re-run the workflow without cache.`);
      throw e;
    }
  }

  has(hash: string): Promise<boolean> {
    return exists(this.localPath(hash));
  }

  async getCache(key: string): Promise<CacheEntry | undefined> {
    const known = this.knownCache.get(key);
    if (known) return known;
    try {
      const entry = JSON.parse(await readFile(this.cachePath(key), "utf8")) as CacheEntry;
      // A cache entry is only good while all its blobs exist.
      for (const ref of Object.values(entry.outputs)) if (!(await this.has(ref.hash))) return undefined;
      this.knownCache.set(key, entry);
      return entry;
    } catch {
      return undefined;
    }
  }

  /** Same key, same inputs and code: an existing entry is as good as the new one, so it is kept. */
  async putCache(key: string, entry: CacheEntry): Promise<void> {
    if (this.knownCache.has(key)) return;
    await this.writeAtomic(this.cachePath(key), JSON.stringify(entry));
    this.knownCache.set(key, entry);
  }

  private cachePath(key: string) {
    if (!HASH.test(key)) throw new Error(`Not a cache key: ${key}`);
    return join(this.root, "cache", key.slice(0, 2), `${key}.json`);
  }

  private async writeAtomic(path: string, data: Uint8Array | string) {
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const tmp = join(this.root, "tmp", `${randomBytes(8).toString("hex")}`);
    await writeFile(tmp, data);
    await rename(tmp, path);
  }
}

async function exists(p: string) {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** Insertion-ordered map that forgets its oldest entries past `max`. */
class BoundedMap<V> {
  private readonly items = new Map<string, V>();
  constructor(private readonly max: number) {}
  has(k: string) {
    return this.items.has(k);
  }
  get(k: string) {
    return this.items.get(k);
  }
  set(k: string, v: V) {
    if (this.items.has(k)) return;
    if (this.items.size >= this.max) this.items.delete(this.items.keys().next().value!);
    this.items.set(k, v);
  }
}
