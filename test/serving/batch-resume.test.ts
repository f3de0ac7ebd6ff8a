/**
 * Queue mode: a batch scoring job outlives the API process that accepted it. The job is submitted while no
 * worker is up (so it is certainly unfinished), the API process shuts down (leases released, jobs left in
 * BullMQ), a new API process on the same PostgreSQL schema, artifact root and Redis prefix starts, rebuilds
 * the job's plan from its run record (endpoint version + upload on disk) and resumes it; a worker then runs
 * the nodes, the job succeeds with the online predictions' numbers, and its upload is removed afterwards.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { numericColumn } from "../../nodes/core/arrow";
import { eventually } from "../queue/helpers";
import { pgAvailable } from "../store/backends";
import { ADMIN, ADULT_CSV, example, post, queueFleet, runWorkflow, scoringCsv } from "./helpers";

const fleet = queueFleet("batch-resume");
const slug = "adult-resume";

afterAll(() => fleet.cleanup());

describe.skipIf(!pgAvailable || !existsSync(ADULT_CSV))("a batch job across an API restart (queue mode)", () => {
  it("is resumed by the next API process and finishes with the online predictions", async () => {
    const first = await fleet.startApi();
    const publisher = fleet.startWorker(first, `publisher-${fleet.prefix}`);
    await publisher.ready;
    const { workflowId, runId } = await runWorkflow(first.svc, example("adult-income"));
    await first.svc.endpoints.publish({ workflowId, runId, slug }, ADMIN);
    const key = (await first.svc.endpoints.createKey(slug, "batch", ADMIN, 100_000)).key;
    // No worker from here on until the restart: the job cannot finish in the first process.
    await publisher.close();

    const csv = readFileSync(scoringCsv(fleet.dir), "utf8");
    const sub = await post(`${first.url}/api/v1/endpoints/${slug}/batch`, csv, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
    expect(sub.status, sub.text).toBe(202);
    const id = sub.json.id as string;
    const upload = join(first.svc.artifacts.root, "batch", id, "input.csv");
    expect(existsSync(upload)).toBe(true);
    // Its first node is a job waiting on the queue.
    await eventually(async () => ((await first.svc.queue!.executor.queue("cpu").getWaitingCount()) > 0 ? true : undefined), 20_000, "the job's first node on the queue");
    expect((await first.svc.db.runs.get(id))?.status).toMatch(/queued|running/);
    await first.close();

    const second = await fleet.startApi();
    fleet.startWorker(second, `worker-${fleet.prefix}`);
    const status = await eventually(
      async () => {
        const res = await fetch(`${second.url}/api/v1/endpoints/${slug}/batch/${id}`, { headers: { authorization: `Bearer ${key}` } });
        const s = (await res.json()) as Record<string, any>;
        return ["queued", "running"].includes(s.status) ? undefined : s;
      },
      120_000,
      "the resumed batch job to finish",
    );
    expect(status).toMatchObject({ status: "succeeded", rows: 300, progress: 1 });

    const online = await post(`${second.url}/api/v1/endpoints/${slug}/predict`, csv, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
    expect(online.status).toBe(200);
    const res = await fetch(`${second.url}${status.resultUrl}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const scored = await second.svc.endpoints.readCsv(new Uint8Array(await res.arrayBuffer()));
    const proba = numericColumn(scored, "proba_>50K");
    let maxDiff = 0;
    (online.json.predictions as Array<{ probabilities: Record<string, number> }>).forEach((p, i) => (maxDiff = Math.max(maxDiff, Math.abs(p.probabilities[">50K"]! - proba[i]!))));
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
    // The resumed run cleaned up after itself like the original would have.
    await eventually(() => (existsSync(upload) ? undefined : true), 10_000, "the upload to be removed");
  }, 300_000);
});
