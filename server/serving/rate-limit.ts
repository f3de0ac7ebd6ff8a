/** Per-key token buckets: `perMinute` requests a minute on average, bursts up to a minute's worth. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes a token for `key`; when none is left, returns how many seconds until one is (Retry-After). */
  take(key: string, perMinute: number): { ok: true } | { ok: false; retryAfterS: number } {
    const t = this.now();
    const rate = perMinute / 60_000;
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = { tokens: perMinute, at: t }));
    b.tokens = Math.min(perMinute, b.tokens + (t - b.at) * rate);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000)) };
  }

  forget(key: string) {
    this.buckets.delete(key);
  }
}
