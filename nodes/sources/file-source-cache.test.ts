import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import fileSource from "./file-source";

const fp = (path: string) => fileSource.fingerprint!({ params: fileSource.params.parse({ path }), resolvePath: (p) => p });

it("fingerprints the file so the cache sees edits but not re-reads of the same file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fp-"));
  const f = join(dir, "a.csv");
  writeFileSync(f, "x\n1\n");
  const first = await fp(f);
  expect(await fp(f)).toBe(first);
  writeFileSync(f, "x\n1\n2\n");
  utimesSync(f, new Date(), new Date(Date.now() + 5000));
  expect(await fp(f)).not.toBe(first);
  expect(await fp(join(dir, "missing.csv"))).toMatch(/missing$/);
});
