/**
 * Two first sign-ups that overlap both see an empty user table and both are made admin by the create hook;
 * stepDownIfNotFirst, run after each, leaves only the first account (earliest createdAt, then id) admin.
 * (test/store/auth-store.test.ts signs six accounts up at once through the real routes; the overlap itself
 * depends on timing, so the rule is checked here on a table where it has certainly happened.)
 */
import { describe, expect, it } from "vitest";
import { stepDownIfNotFirst, type UserTable } from "../../server/auth/auth-service";

type Row = { id: string; createdAt: Date; role: string };

function table(rows: Row[]): UserTable & { rows: Row[] } {
  return {
    rows,
    async count() {
      return rows.length;
    },
    async findMany<T>(q: { sortBy?: { field: string; direction: "asc" | "desc" }; limit?: number }) {
      const sorted = [...rows].sort((a, b) => (q.sortBy?.direction === "desc" ? -1 : 1) * (a.createdAt.getTime() - b.createdAt.getTime()));
      return sorted.slice(0, q.limit ?? sorted.length) as unknown as T[];
    },
    async update<T>(q: { where: Array<{ field: string; value: string }>; update: Record<string, unknown> }) {
      const row = rows.find((r) => r.id === q.where[0]!.value);
      if (row) Object.assign(row, q.update);
      return (row ?? null) as T | null;
    },
  };
}

describe("stepDownIfNotFirst", () => {
  it("keeps the earliest bootstrap admin and makes the later one a viewer", async () => {
    const t = table([
      { id: "b", createdAt: new Date("2026-11-25T10:00:00.002Z"), role: "admin" },
      { id: "a", createdAt: new Date("2026-11-25T10:00:00.001Z"), role: "admin" },
    ]);
    // The hooks of both accounts run, in either order.
    expect(await stepDownIfNotFirst(t, "b")).toBe(true);
    expect(await stepDownIfNotFirst(t, "a")).toBe(false);
    expect(t.rows.map((r) => [r.id, r.role]).sort()).toEqual([["a", "admin"], ["b", "viewer"]]);
  });

  it("breaks a tie on createdAt by id, so both hooks agree on the same first account", async () => {
    const at = new Date("2026-11-25T10:00:00.000Z");
    const t = table([
      { id: "y", createdAt: at, role: "admin" },
      { id: "x", createdAt: at, role: "admin" },
      { id: "z", createdAt: at, role: "admin" },
    ]);
    for (const id of ["z", "x", "y"]) await stepDownIfNotFirst(t, id);
    expect(t.rows.filter((r) => r.role === "admin").map((r) => r.id)).toEqual(["x"]);
  });

  it("leaves a lone first account alone", async () => {
    const t = table([{ id: "only", createdAt: new Date(), role: "admin" }]);
    expect(await stepDownIfNotFirst(t, "only")).toBe(false);
    expect(t.rows[0]!.role).toBe("admin");
  });
});
