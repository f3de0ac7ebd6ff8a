/**
 * Which local files the File source may read. By default any path the server can read (one person on their own
 * machine, the CLI). A server shared by several people sets LATTICE_FILE_ROOTS to the folders meant for data
 * (separated by ":"); then a path outside them — `/etc/passwd`, `../../secrets`, or a link from inside a root to
 * outside — is refused with a user error on the node's "path" field. The artifact store (batch-scoring uploads)
 * and the uploads folder (`<LATTICE_DATA_DIR>/uploads`) stay readable. Links are resolved before the check.
 */
import { realpathSync } from "node:fs";
import { delimiter, isAbsolute, relative, resolve } from "node:path";
import { fail } from "../../../nodes/core/errors";

/** The configured roots (absolute), or undefined when reading is not restricted. */
export function fileRoots(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const raw = env.LATTICE_FILE_ROOTS?.trim();
  if (!raw) return undefined;
  return raw
    .split(delimiter)
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => resolve(r));
}

/** The path with links resolved as far as it exists (a missing file keeps its resolved parent). */
function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    const parent = resolve(p, "..");
    return parent === p ? p : resolve(real(parent), relative(parent, p));
  }
}

const inside = (root: string, p: string) => {
  const rel = relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * A path a user gave (absolute, or relative to the workflow's folder `baseDir`), made absolute, and checked
 * against LATTICE_FILE_ROOTS when that is set. `alsoAllowed`: folders Lattice itself writes inputs to.
 */
export function resolveReadablePath(path: string, opts: { baseDir?: string; alsoAllowed?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): string {
  const env = opts.env ?? process.env;
  const abs = isAbsolute(path) ? path : resolve(opts.baseDir ?? process.cwd(), path);
  const roots = fileRoots(env);
  if (!roots) return abs;
  const allowed = [...roots, ...(opts.alsoAllowed ?? []), resolve(env.LATTICE_DATA_DIR ?? "./data", "uploads")].map(real);
  if (allowed.some((root) => inside(root, real(abs)))) return abs;
  fail(
    "path_not_allowed",
    `"${path}" is outside the folders this server reads data from (LATTICE_FILE_ROOTS: ${roots.join(", ")}). Upload the file instead, or ask whoever runs the server to add its folder to LATTICE_FILE_ROOTS.`,
    "path",
  );
}
