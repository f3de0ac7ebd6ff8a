import { describe, expect, it } from "vitest";
import { RunEventHub, streamRunEvents } from "../../server/engine/run-events";
import type { RunEvent } from "../../server/engine/types";

const ev = (seq: number, type: "progress" | "run-finished" = "progress"): RunEvent =>
  type === "progress"
    ? { runId: "r", seq, ts: seq, type, nodeId: "n", fraction: seq / 10 }
    : { runId: "r", seq, ts: seq, type, status: "succeeded", durationMs: 1 };

async function collect(it: AsyncIterable<RunEvent>) {
  const out: number[] = [];
  for await (const e of it) out.push(e.seq);
  return out;
}

describe("streamRunEvents", () => {
  it("replays buffered events after the given seq, then streams live ones until the run finishes", async () => {
    const hub = new RunEventHub();
    hub.open("r");
    for (let i = 1; i <= 3; i++) hub.publish(ev(i));
    const got = collect(streamRunEvents(hub, "r", 1, async () => [], new AbortController().signal));
    await new Promise((r) => setTimeout(r, 5));
    hub.publish(ev(4));
    hub.publish(ev(5, "run-finished"));
    expect(await got).toEqual([2, 3, 4, 5]);
  });

  it("does not duplicate an event that arrives while the past is being read", async () => {
    const hub = new RunEventHub();
    // run not held in memory by this process: the past comes from the database
    const past = async () => {
      hub.publish(ev(3)); // arrives live during the read, and is also part of what the read returns
      return [ev(2), ev(3)];
    };
    hub.open("other"); // unrelated
    const stream = streamRunEvents(hub, "r", 1, past, new AbortController().signal);
    const got = collect(stream);
    // the run is not active in the hub: after the past, the stream ends
    expect(await got).toEqual([2, 3]);
  });

  it("for a finished run, returns the stored events and ends", async () => {
    const hub = new RunEventHub();
    const got = await collect(streamRunEvents(hub, "r", 0, async () => [ev(1), ev(2, "run-finished")], new AbortController().signal));
    expect(got).toEqual([1, 2]);
  });

  it("stops when the subscriber goes away", async () => {
    const hub = new RunEventHub();
    hub.open("r");
    const ac = new AbortController();
    const got = collect(streamRunEvents(hub, "r", 0, async () => [], ac.signal));
    hub.publish(ev(1));
    await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    expect(await got).toEqual([1]);
  });
});
