"use client";
/**
 * Who is signed in, for every page: asks the server once (`auth.me`), sends people without a session to the
 * sign-in page, and lets components check a role (`useCan("editor")`) to disable what the server would refuse.
 */
import { usePathname, useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { hasRole } from "../../server/auth/roles";
import type { Actor, Role } from "../../server/serving/types";
import { describeCallError, trpc } from "./trpc";

/** Pages anyone can open. */
const PUBLIC_PATHS = ["/sign-in", "/sign-up"];

interface SessionValue {
  user: Actor | null;
  refresh(): Promise<Actor | null>;
}

const SessionContext = createContext<SessionValue>({ user: null, refresh: async () => null });

export function SessionGate({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const router = useRouter();
  const [user, setUser] = useState<Actor | null | undefined>(undefined);
  const [error, setError] = useState<string | undefined>();
  const isPublic = PUBLIC_PATHS.includes(pathname);

  const refresh = useCallback(async () => {
    const me = await trpc.auth.me.query();
    setUser(me);
    return me;
  }, []);

  useEffect(() => {
    refresh().catch((e: unknown) => setError(describeCallError(e).message));
  }, [refresh]);

  useEffect(() => {
    if (user === null && !isPublic) router.replace(`/sign-in?next=${encodeURIComponent(pathname + window.location.search)}`);
  }, [user, isPublic, pathname, router]);

  if (error && !isPublic) {
    return (
      <div className="page-error">
        <h2>Lattice is not answering</h2>
        <p>{error}</p>
        <button className="btn" onClick={() => window.location.reload()}>Try again</button>
      </div>
    );
  }
  if (!isPublic && !user) return <div className="page-error muted" data-testid="session-loading">Loading…</div>;
  return <SessionContext.Provider value={{ user: user ?? null, refresh }}>{children}</SessionContext.Provider>;
}

/** The signed-in person (null only on the sign-in and sign-up pages). */
export function useSession(): SessionValue {
  return useContext(SessionContext);
}

/** Whether the signed-in person has `role` or a higher one. */
export function useCan(role: Role): boolean {
  return hasRole(useSession().user, role);
}
