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
  /** The port it listens on (start another on it with `startServer({ port })`). */
  port: number;
  /** SIGTERM and wait; removes the data dir unless `keepDataDir` was set. */
  stop(): Promise<void>;
  /** SIGKILL and wait, as a crash: nothing is shut down cleanly and the data dir is kept. */
  kill(): Promise<void>;
  log(): string;
}

export interface ServerOptions {
  /** Environment on top of this process's (after the defaults, so it can set DATABASE_URL). */
  env?: Record<string, string>;
  /** Listen on this port instead of a free one (a restart on the same URL). */
  port?: number;
  /** Use this data dir instead of a fresh temporary one. */
  dataDir?: string;
  /** Leave the data dir in place on stop (set when `dataDir` is given). */
  keepDataDir?: boolean;
}

/**
 * Starts the real Lattice server (tsx server/main.ts) for browser tests, by default on a free port with a
 * temporary data dir and the embedded database. Production mode when a build exists and LATTICE_E2E_DEV is
 * unset, else dev mode. With LATTICE_E2E_URL set, uses that running server instead.
 */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  if (process.env.LATTICE_E2E_URL) {
    const url = process.env.LATTICE_E2E_URL.replace(/\/$/, "");
    return { url, port: Number(new URL(url).port), stop: async () => {}, kill: async () => {}, log: () => "" };
  }
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), "lattice-e2e-"));
  const keepDataDir = opts.keepDataDir ?? opts.dataDir !== undefined;
  const dev = !!process.env.LATTICE_E2E_DEV || !existsSync(path.join(repoRoot, ".next", "BUILD_ID"));
  let output = "";
  // `node --import tsx` rather than the tsx CLI, so that the child is the server itself: a SIGKILL to the CLI
  // would leave its server process running.
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/main.ts", ...(dev ? ["--dev"] : [])], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", LATTICE_DATA_DIR: dataDir, DATABASE_URL: "", NEXT_TELEMETRY_DISABLED: "1", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`server exited with ${code}:\n${output}`));
    child.once("exit", onExit);
    const check = () => {
      if (/ready on http/.test(output)) {
        child.off("exit", onExit);
        resolve();
      } else if (child.exitCode === null && child.signalCode === null) setTimeout(check, 200);
    };
    check();
  });
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(sig);
      await exited;
    }
  };
  return {
    url,
    port,
    log: () => output,
    kill: () => signal("SIGKILL"),
    async stop() {
      await signal("SIGTERM");
      if (!keepDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
