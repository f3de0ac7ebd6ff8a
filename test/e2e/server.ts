/**
 * Starts the real Lattice server (tsx server/main.ts) on a free port with a temporary data dir, for browser
 * tests. Production mode when a build exists and LATTICE_E2E_DEV is unset, else dev mode. With
 * LATTICE_E2E_URL set, uses that running server instead.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
  log(): string;
}

export async function startServer(): Promise<RunningServer> {
  if (process.env.LATTICE_E2E_URL) return { url: process.env.LATTICE_E2E_URL.replace(/\/$/, ""), stop: async () => {}, log: () => "" };
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), "lattice-e2e-"));
  const dev = !!process.env.LATTICE_E2E_DEV || !existsSync(path.join(repoRoot, ".next", "BUILD_ID"));
  let output = "";
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, "node_modules/tsx/dist/cli.mjs"), "server/main.ts", ...(dev ? ["--dev"] : [])], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LATTICE_DATA_DIR: dataDir, DATABASE_URL: "", NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`server exited with ${code}:\n${output}`));
    child.once("exit", onExit);
    const check = () => {
      if (/ready on http/.test(output)) {
        child.off("exit", onExit);
        resolve();
      } else setTimeout(check, 200);
    };
    check();
  });
  return {
    url,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
