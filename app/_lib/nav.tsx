"use client";
/** The links every page header shows (admin-only pages only for admins) and the signed-in person's menu. */
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { authClient } from "./auth-client";
import { useCan, useSession } from "./session";
import styles from "./ui.module.css";

const LINKS = [
  { href: "/", label: "Workflows", testId: "nav-workflows" },
  { href: "/models", label: "Models", testId: "models-link" },
  { href: "/endpoints", label: "Endpoints", testId: "endpoints-link" },
  { href: "/workers", label: "Workers", testId: "workers-link" },
];
const ADMIN_LINKS = [
  { href: "/users", label: "Users", testId: "users-link" },
  { href: "/audit", label: "Audit log", testId: "audit-link" },
];

export function NavLinks() {
  const pathname = usePathname();
  const admin = useCan("admin");
  const active = (href: string) => (href === "/" ? pathname === "/" : pathname.startsWith(href));
  return (
    <nav className={styles.nav} aria-label="Pages">
      {[...LINKS, ...(admin ? ADMIN_LINKS : [])].map((l) => (
        <Link key={l.href} href={l.href} className={`${styles.navLink}${active(l.href) ? ` ${styles.active}` : ""}`} data-testid={l.testId}>
          {l.label}
        </Link>
      ))}
    </nav>
  );
}

export function RoleBadge({ role }: { role: string }) {
  return <span className={`${styles.role} ${styles[`role-${role}`] ?? ""}`}>{role}</span>;
}

/** Who is signed in, with Sign out. */
export function UserMenu() {
  const { user } = useSession();
  const [open, setOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    window.addEventListener("mousedown", close);
    return () => window.removeEventListener("mousedown", close);
  }, [open]);
  if (!user) return null;
  const signOut = async () => {
    setSigningOut(true);
    await authClient.signOut();
    // A full load: every page's data belonged to the session that just ended.
    window.location.assign("/sign-in");
  };
  return (
    <div className={styles.userMenu} ref={ref}>
      <button className={styles.userButton} onClick={() => setOpen((o) => !o)} data-testid="user-menu" aria-haspopup="menu" aria-expanded={open} title={`Signed in as ${user.email}`}>
        <span className={styles.avatar}>{user.email[0]}</span>
        <span data-testid="user-email">{user.email}</span>
        <RoleBadge role={user.role} />
      </button>
      {open && (
        <div className={styles.menu} role="menu">
          <div className={styles.menuInfo}>
            <span className="muted small">Signed in as</span>
            <b>{user.email}</b>
            <span className="small">Role: <RoleBadge role={user.role} /></span>
          </div>
          <button className={styles.menuItem} role="menuitem" onClick={() => void signOut()} disabled={signingOut} data-testid="sign-out">
            {signingOut ? "Signing out…" : "Sign out"}
          </button>
        </div>
      )}
    </div>
  );
}
