import type { Metadata } from "next";
import type { ReactNode } from "react";
import "@xyflow/react/dist/style.css";
import "./globals.css";
import { SessionGate } from "./_lib/session";

export const metadata: Metadata = {
  title: "Lattice",
  description: "Visual machine-learning workflows: draw a graph, run it, see results on the nodes.",
  icons: { icon: "/favicon.svg" },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <SessionGate>{children}</SessionGate>
      </body>
    </html>
  );
}
