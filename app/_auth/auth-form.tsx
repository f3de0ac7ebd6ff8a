"use client";
/**
 * Sign-in and sign-up forms (better-auth email + password). After success the browser loads the page it was
 * sent from (`?next=`), so every page starts with the new session.
 */
import Link from "next/link";
import { useEffect, useState } from "react";
import { authClient } from "../_lib/auth-client";
import { trpc } from "../_lib/trpc";
import styles from "../_lib/ui.module.css";

/** Only same-site paths: `?next=https://elsewhere` must not turn sign-in into an open redirect. */
function nextPath(): string {
  const next = new URLSearchParams(window.location.search).get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function AuthForm({ mode }: { mode: "sign-in" | "sign-up" }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(true);
  const [hasUsers, setHasUsers] = useState<boolean | undefined>();
  // Read after hydration: the server-rendered links must match the first client render.
  const [search, setSearch] = useState("");

  useEffect(() => {
    setBusy(false);
    setSearch(window.location.search);
    trpc.auth.hasUsers.query().then(setHasUsers, () => setHasUsers(undefined));
    // Already signed in (e.g. the Back button): go on.
    trpc.auth.me.query().then((me) => me && window.location.replace(nextPath()), () => undefined);
  }, []);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const r =
      mode === "sign-in"
        ? await authClient.signIn.email({ email: email.trim(), password })
        : await authClient.signUp.email({ email: email.trim(), password, name: name.trim() || email.trim().split("@")[0]! });
    if (r.error) {
      setError(r.error.message ?? r.error.statusText ?? "That did not work. Try again.");
      setBusy(false);
      return;
    }
    window.location.assign(nextPath());
  };

  const signUp = mode === "sign-up";
  const switchHref = (target: string) => `${target}${search}`;
  return (
    <div className={styles.authPage} data-ready={busy ? undefined : "true"}>
      <form className={styles.authCard} onSubmit={(e) => void submit(e)} data-testid={`${mode}-form`}>
        <span className={styles.authBrand}><span className="logo">◆</span> Lattice</span>
        <h1>{signUp ? "Create an account" : "Sign in"}</h1>
        {signUp && hasUsers === false && <p className={styles.notice}>This is the first account on this Lattice: it becomes the <b>admin</b>, who gives everyone after it their role.</p>}
        {signUp && hasUsers && <p className={styles.notice}>New accounts start as <b>viewers</b>. An admin can make you an editor (run and publish workflows) on the Users page.</p>}
        {!signUp && hasUsers === false && (
          <p className={styles.notice}>
            No account exists yet. <Link href={switchHref("/sign-up")}>Create the first one</Link>; it becomes the admin.
          </p>
        )}
        {signUp && (
          <label className={styles.field}>
            <span>Name</span>
            <input className="input" value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" data-testid="auth-name" />
          </label>
        )}
        <label className={styles.field}>
          <span>Email</span>
          <input className="input" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="email" autoFocus data-testid="auth-email" />
        </label>
        <label className={styles.field}>
          <span>Password</span>
          <input
            className="input"
            type="password"
            required
            minLength={signUp ? 8 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={signUp ? "new-password" : "current-password"}
            data-testid="auth-password"
          />
          {signUp && <span className={styles.hint}>At least 8 characters.</span>}
        </label>
        {error && (
          <div className="error-box" role="alert" data-testid="auth-error">
            <b>{error}</b>
          </div>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy} data-testid="auth-submit">
          {busy && !error ? "…" : signUp ? "Create account" : "Sign in"}
        </button>
        <span className="muted small">
          {signUp ? (
            <>Have an account? <Link href={switchHref("/sign-in")}>Sign in</Link></>
          ) : (
            <>No account yet? <Link href={switchHref("/sign-up")} data-testid="to-sign-up">Create one</Link></>
          )}
        </span>
      </form>
    </div>
  );
}
