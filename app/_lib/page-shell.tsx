"use client";
/** Header (brand, breadcrumb, page links, user menu) and body of the non-editor pages. */
import Link from "next/link";
import type { ReactNode } from "react";
import { NavLinks, UserMenu } from "./nav";
import styles from "./ui.module.css";

export function PageShell({ crumbs, ready, children }: { crumbs: ReactNode; ready: boolean; children: ReactNode }) {
  return (
    <div className={styles.page} data-ready={ready ? "true" : undefined}>
      <header className="topbar">
        <Link href="/" className="brand"><span className="logo">◆</span> Lattice</Link>
        <span className="muted">{crumbs}</span>
        <NavLinks />
        <div className="spacer" />
        <UserMenu />
      </header>
      <main className={styles.main}>{children}</main>
    </div>
  );
}

export function ErrorBox({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <div className="error-box" role="alert">
      <b>{message}</b>
    </div>
  );
}
