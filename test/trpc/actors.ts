/** Signed-in people for router tests (createCaller's `user`) and a sign-up helper for HTTP tests. */
import type { Actor } from "../../server/serving/types";

export const admin: Actor = { id: "u-admin", email: "admin@example.com", role: "admin" };
export const editor: Actor = { id: "u-editor", email: "editor@example.com", role: "editor" };
export const viewer: Actor = { id: "u-viewer", email: "viewer@example.com", role: "viewer" };

/**
 * Signs up through better-auth's route on a running API (`base` = http://host:port) and returns the session
 * cookie to send with later requests. The first account on a fresh database becomes admin.
 */
export async function signUp(base: string, email: string, password = "correct horse battery"): Promise<string> {
  const res = await fetch(`${base}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: base },
    body: JSON.stringify({ email, password, name: email.split("@")[0] }),
  });
  if (res.status !== 200) throw new Error(`sign-up of ${email} answered ${res.status}: ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}
