/**
 * API side of the worker → API event path: one blocking XREAD over the event streams of every run this
 * process is scheduling. Streams (not pub/sub) so nothing is lost while the connection is down: after a
 * reconnect the reader continues from the last entry id it saw. A run joining the set wakes the blocked
 * read through a small per-process control stream, so its first events are not held up by the block timeout.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { decodeMessage, MESSAGE_FIELD, type WorkerMessage } from "./messages";

interface Reading {
  key: string;
  lastId: string;
  onMessage: (m: WorkerMessage) => void;
}

type XReadReply = Array<[key: string, entries: Array<[id: string, fields: string[]]>]> | null;

export class RunStreamReader {
  private readonly byRun = new Map<string, Reading>();
  private readonly byKey = new Map<string, Reading>();
  private readonly control: string;
  private controlLast = "0-0";
  private closed = false;
  private readonly loop: Promise<void>;

  /**
   * @param blocking a connection used only by this reader (it spends its time blocked in XREAD)
   * @param commands a connection for the wake-up writes
   */
  constructor(
    private readonly blocking: Redis,
    private readonly commands: Redis,
    prefix: string,
    private readonly blockMs = 5000,
  ) {
    this.control = `${prefix}:lattice:reader:${randomUUID()}`;
    this.loop = this.run();
  }

  /** Start delivering the messages of a run's stream, from `fromId` (exclusive; "0-0" = from the start). */
  add(runId: string, key: string, onMessage: (m: WorkerMessage) => void, fromId = "0-0") {
    const r: Reading = { key, lastId: fromId, onMessage };
    this.byRun.set(runId, r);
    this.byKey.set(key, r);
    void this.commands.xadd(this.control, "MAXLEN", "~", "16", "*", "w", "1").catch(() => {});
  }

  remove(runId: string) {
    const r = this.byRun.get(runId);
    if (!r) return;
    this.byRun.delete(runId);
    this.byKey.delete(r.key);
  }

  async close() {
    this.closed = true;
    this.blocking.disconnect();
    await this.loop;
    await this.commands.del(this.control).catch(() => {});
  }

  private async run() {
    while (!this.closed) {
      const readings = [...this.byKey.values()];
      let reply: XReadReply;
      try {
        const keys = [this.control, ...readings.map((r) => r.key)];
        const ids = [this.controlLast, ...readings.map((r) => r.lastId)];
        reply = (await this.blocking.xread("COUNT", 1000, "BLOCK", this.blockMs, "STREAMS", ...keys, ...ids)) as XReadReply;
      } catch {
        if (this.closed) return;
        // Redis restarting or the connection dropped: ioredis reconnects; try again shortly.
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (const [key, entries] of reply ?? []) {
        const last = entries.at(-1)?.[0];
        if (key === this.control) {
          if (last) this.controlLast = last;
          continue;
        }
        const r = this.byKey.get(key);
        if (!r) continue;
        for (const [id, fields] of entries) {
          r.lastId = id;
          const i = fields.indexOf(MESSAGE_FIELD);
          const m = i >= 0 ? decodeMessage(fields[i + 1] ?? "") : undefined;
          if (!m) continue;
          try {
            r.onMessage(m);
          } catch (e) {
            console.error("[lattice] run event handler failed:", e);
          }
          if (this.byKey.get(key) !== r) break; // the run finished while handling this batch
        }
      }
    }
  }
}
