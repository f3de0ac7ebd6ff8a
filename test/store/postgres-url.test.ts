import { describe, expect, it } from "vitest";
import { pgConfigFromUrl } from "../../server/store/postgres-url";

describe("pgConfigFromUrl", () => {
  it("moves ?schema= into the search_path and labels without credentials", () => {
    const t = pgConfigFromUrl("postgresql://lattice:s3cret@db.example:6543/app?schema=tenant_1&sslmode=disable");
    expect(t.schema).toBe("tenant_1");
    expect(t.label).toBe("db.example:6543/app?schema=tenant_1");
    expect(t.pool.options).toBe('-c search_path="tenant_1"');
    expect(t.pool.connectionString).toBe("postgresql://lattice:s3cret@db.example:6543/app?sslmode=disable");
  });

  it("defaults to the public schema and port 5432", () => {
    const t = pgConfigFromUrl("postgres://postgres@127.0.0.1/test");
    expect(t).toMatchObject({ schema: "public", label: "127.0.0.1:5432/test" });
  });

  it("rejects what is not a PostgreSQL URL, and schema names that would need quoting", () => {
    expect(() => pgConfigFromUrl("not a url")).toThrow(/not a valid URL/);
    expect(() => pgConfigFromUrl("mysql://root@localhost/db")).toThrow(/must start with postgresql:\/\//);
    expect(() => pgConfigFromUrl('postgresql://h/db?schema=x";drop')).toThrow(/not a plain identifier/);
  });
});
