/** API keys: `lat_` + 32 random bytes (base64url); only the sha256 (hex) is stored. */
import { createHash, randomBytes } from "node:crypto";

export const KEY_PREFIX = "lat_";

export function newKey(): { key: string; prefix: string; hash: string } {
  const key = KEY_PREFIX + randomBytes(32).toString("base64url");
  return { key, prefix: key.slice(0, 12), hash: hashKey(key) };
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}
