// Runs after `npm install` in this repository: links `node_modules/.bin/lattice` (npm does not link a
// package's own bin into its own node_modules, and `npx lattice` looks there) and generates the Prisma client.
import { chmodSync, existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(root, "node_modules", ".bin");
mkdirSync(bin, { recursive: true });
const target = join(root, "server", "cli", "lattice.mjs");
const link = join(bin, "lattice");
if (existsSync(link) || isLink(link)) rmSync(link);
symlinkSync(relative(bin, target), link);
chmodSync(target, 0o755);

const schema = join(root, "prisma", "schema.prisma");
if (existsSync(schema)) {
  const r = spawnSync(process.execPath, [join(root, "node_modules", "prisma", "build", "index.js"), "generate", `--schema=${schema}`], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", ...prismaEnv() },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function isLink(p) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

// Prisma's CLI checks for native engine binaries it would download; the JS engine needs none (ENVIRONMENT.md).
function prismaEnv() {
  return {
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? target,
    PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? target,
  };
}
