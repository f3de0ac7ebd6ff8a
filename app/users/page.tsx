"use client";
/** Users (admins): everyone with an account and their role; a change applies at the person's next request. */
import { useCallback, useEffect, useState } from "react";
import type { UserSummary } from "../../server/auth/auth-service";
import { ROLE_HELP, ROLES, withArticle } from "../../server/auth/roles";
import type { Role } from "../../server/serving/types";
import { formatAgo, formatTime } from "../_lib/format";
import { RoleBadge } from "../_lib/nav";
import { ErrorBox, PageShell } from "../_lib/page-shell";
import { useSession } from "../_lib/session";
import { describeCallError, trpc } from "../_lib/trpc";
import styles from "../endpoints/endpoints.module.css";

export default function UsersPage() {
  const { user: me } = useSession();
  const [users, setUsers] = useState<UserSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | undefined>();

  const load = useCallback(() => {
    trpc.users.list.query().then(setUsers, (e: unknown) => setError(describeCallError(e).message));
  }, []);
  useEffect(load, [load]);

  const setRole = async (u: UserSummary, role: Role) => {
    setError(undefined);
    setSaved(undefined);
    try {
      const r = await trpc.users.setRole.mutate({ userId: u.id, role });
      setSaved(`${r.email} is now ${withArticle(r.role)}.`);
      load();
    } catch (e) {
      setError(describeCallError(e).message);
      load();
    }
  };

  return (
    <PageShell crumbs="/ Users" ready={!!users || !!error}>
      <div className={styles.heading}>
        <h1>Users</h1>
        <span className="muted small">New accounts start as viewers. Changes apply at the person’s next click; each is in the audit log.</span>
      </div>
      <ul className="small muted" style={{ margin: 0, paddingLeft: 18 }}>
        {ROLES.map((r) => (
          <li key={r}><b>{r}</b>: {ROLE_HELP[r]}</li>
        ))}
      </ul>
      <ErrorBox message={error} />
      {saved && <p className="ok small" role="status" data-testid="role-saved">{saved}</p>}
      {users && (
        <table className="grid-table wf-table" data-testid="users-table">
          <thead>
            <tr><th>Name</th><th>Email</th><th>Role</th><th>Joined</th></tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.id} data-testid={`user-${u.email}`}>
                <td><b>{u.name}</b>{u.id === me?.id && <span className="muted small"> (you)</span>}</td>
                <td>{u.email}</td>
                <td>
                  <div className="row">
                    <select className="input" style={{ width: 110 }} value={u.role} onChange={(e) => void setRole(u, e.target.value as Role)} aria-label={`Role of ${u.email}`} data-testid={`role-${u.email}`}>
                      {ROLES.map((r) => (
                        <option key={r} value={r}>{r}</option>
                      ))}
                    </select>
                    <RoleBadge role={u.role} />
                  </div>
                </td>
                <td title={formatTime(u.createdAt)}>{formatAgo(u.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </PageShell>
  );
}
