/**
 * The raw BullMQ side of the queue bench's separate-process figure: a Worker whose processor returns at once,
 * in its own process like `npm run worker`, counting completions and telling the parent (IPC) when the
 * number it was told to expect is reached — no QueueEvents reader, so the producer does no extra work.
 */
import { Worker } from "bullmq";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = process.env.LATTICE_QUEUE_PREFIX!;
const concurrency = Number(process.env.LATTICE_WORKER_CONCURRENCY ?? 16);
let expect = Infinity;
let done = 0;
const worker = new Worker("raw", async () => ({}), { connection: { url, maxRetriesPerRequest: null }, prefix, concurrency });
worker.on("completed", () => {
  if (++done === expect) process.send!({ t: "done" });
});
process.on("message", (m: { t: string; n?: number }) => {
  if (m.t === "expect") {
    done = 0;
    expect = m.n!;
  } else if (m.t === "stop") void worker.close().then(() => process.exit(0));
});
await worker.waitUntilReady();
process.send!({ t: "ready" });
