/**
 * What a new user does: create a workflow, drag five nodes from the palette, point the file source at the
 * Adult census CSV, pick the label in a column picker, wire the ports by dragging handle to handle, run,
 * and read ROC-AUC off the metrics node.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { expect, it } from "vitest";
import { e2eSession, openPage, OUT } from "./browser";
import { repoRoot } from "./server";

const ADULT = path.resolve(repoRoot, "../shared/datasets/adult.csv");

const e2e = e2eSession();

let workflowUrl = "";

const node = (page: Page, kind: string) => page.locator(`[data-testid="node"][data-kind="${kind}"]`);

async function dropFromPalette(page: Page, kind: string, x: number, y: number) {
  const canvas = page.getByTestId("canvas");
  await page.getByTestId(`palette-item-${kind}`).dragTo(canvas, { targetPosition: { x, y } });
  await expect.poll(() => node(page, kind).count()).toBe(1);
}

async function center(l: Locator) {
  const b = await l.boundingBox();
  if (!b) throw new Error("element not visible");
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** Drag from an output handle to an input handle with the mouse, as a person does. */
async function connect(page: Page, from: [string, string], to: [string, string]) {
  const a = await center(node(page, from[0]).getByTestId(`handle-out-${from[1]}`));
  const b = await center(node(page, to[0]).getByTestId(`handle-in-${to[1]}`));
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 8 });
  await page.mouse.move(b.x, b.y, { steps: 8 });
  await page.mouse.up();
}

it("builds, runs and scores the Adult workflow from the palette", async () => {
  expect(existsSync(ADULT), `${ADULT} is missing`).toBe(true);
  const page = await openPage(e2e.browser, e2e.server.url);
  const consoleErrors: string[] = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  try {
    await buildAndRun(page);
  } catch (e) {
    await page.screenshot({ path: path.join(OUT, "adult-e2e-failure.png") }).catch(() => undefined);
    throw e;
  }
  expect(consoleErrors).toEqual([]);
  await page.close();
});

async function buildAndRun(page: Page) {

  // In dev mode the editor route compiles on first use; compile it before a click navigates there.
  await fetch(`${e2e.server.url}/workflows/warm-up`).then((r) => r.text());
  await page.goto(e2e.server.url, { waitUntil: "domcontentloaded", timeout: 180_000 });
  await page.locator(".home[data-ready]").waitFor({ timeout: 180_000 });
  await page.getByTestId("new-workflow").click();
  await page.waitForURL(/\/workflows\//, { timeout: 180_000 });
  workflowUrl = page.url();
  await page.getByTestId("canvas").waitFor({ timeout: 180_000 });

  await dropFromPalette(page, "sources/file", 140, 110);
  await dropFromPalette(page, "features/select-columns", 440, 110);
  await dropFromPalette(page, "features/train-test-split", 740, 110);
  await dropFromPalette(page, "training/logistic-regression", 440, 420);
  await dropFromPalette(page, "evaluation/classification-metrics", 740, 420);

  // File path
  await node(page, "sources/file").click();
  await page.getByTestId("field-path").fill(ADULT);

  // A wrong connection is refused, with the reason shown: a model cannot go into a table input.
  await connect(page, ["training/logistic-regression", "model"], ["features/select-columns", "table"]);
  await expect.poll(() => page.getByTestId("toast-error").first().textContent()).toMatch(/gives a trained model, but input "Table" expects a table/);
  expect(await page.locator(".react-flow__edge").count()).toBe(0);

  // Wire it up
  await connect(page, ["sources/file", "table"], ["features/select-columns", "table"]);
  await connect(page, ["features/select-columns", "table"], ["features/train-test-split", "table"]);
  await connect(page, ["features/train-test-split", "train"], ["training/logistic-regression", "train"]);
  await connect(page, ["training/logistic-regression", "model"], ["evaluation/classification-metrics", "model"]);
  await connect(page, ["features/train-test-split", "test"], ["evaluation/classification-metrics", "data"]);
  await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(5);


  // Pick the label in the column picker, fed by the probed file schema.
  await node(page, "features/select-columns").click();
  const label = page.getByTestId("field-label");
  await expect.poll(async () => (await label.locator("option").allTextContents()).some((t) => t.startsWith("class ")), { timeout: 120_000 }).toBe(true);
  await label.selectOption("class");

  await expect.poll(() => page.locator('[data-testid="node-issues"]').count(), { timeout: 60_000 }).toBe(0);
  await page.getByTestId("run").click();

  const metric = node(page, "evaluation/classification-metrics").getByTestId("node-key-metric");
  await metric.waitFor({ timeout: 480_000 });
  const auc = Number(await metric.getAttribute("data-value"));
  expect(auc).toBeGreaterThanOrEqual(0.89);
  expect(auc).toBeLessThanOrEqual(1);
  await expect.poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: 60_000 }).toBe("succeeded");
  for (const kind of ["sources/file", "features/select-columns", "features/train-test-split", "training/logistic-regression", "evaluation/classification-metrics"])
    expect(await node(page, kind).getByTestId("node-status").getAttribute("data-status")).toMatch(/succeeded|cached/);

  // Results in the inspector: metrics table for the selected node.
  await node(page, "evaluation/classification-metrics").click();
  await page.getByTestId("tab-output").click();
  await page.getByTestId("metric-roc_auc").waitFor({ timeout: 60_000 });
  await page.mouse.move(5, 5);
  await page.screenshot({ path: path.join(OUT, "adult-e2e.png") });
}

it("a reload in the middle of training shows the right state, keeps the learning curve and keeps streaming", async () => {
  expect(workflowUrl, "the first test saves the workflow").not.toBe("");
  const page = await openPage(e2e.browser, e2e.server.url);
  try {
    await page.goto(workflowUrl, { waitUntil: "domcontentloaded", timeout: 180_000 });
    await page.getByTestId("canvas").waitFor({ timeout: 180_000 });
    const lr = node(page, "training/logistic-regression");
    await lr.click();
    await page.getByTestId("tab-settings").click();
    // The iterative (adam) solver with many epochs: training lasts long enough to reload in the middle of it
    // (the default exact solver finishes in well under a second); only it and metrics re-run.
    await page.getByTestId("field-solver").selectOption("adam");
    await page.getByTestId("field-epochs").fill("400");
    await page.getByTestId("run").click();
    const status = lr.getByTestId("node-status");
    await expect.poll(() => status.getAttribute("data-status"), { timeout: 120_000 }).toBe("running");
    const points = async () => ((await lr.locator('[data-testid="node-minichart"] polyline').first().getAttribute("points")) ?? "").trim().split(/\s+/).filter(Boolean).length;
    await expect.poll(points, { timeout: 120_000 }).toBeGreaterThan(2);

    await page.reload({ waitUntil: "domcontentloaded" });
    await page.getByTestId("canvas").waitFor({ timeout: 180_000 });
    // Upstream nodes come from the cache, training is still going, and its curve so far is back.
    await expect.poll(() => node(page, "sources/file").getByTestId("node-status").getAttribute("data-status"), { timeout: 60_000 }).toBe("cached");
    expect(await lr.getByTestId("node-status").getAttribute("data-status")).toBe("running");
    await expect.poll(points, { timeout: 60_000 }).toBeGreaterThan(2);
    // ...and the stream goes on to the end.
    const metric = node(page, "evaluation/classification-metrics").getByTestId("node-key-metric");
    await metric.waitFor({ timeout: 480_000 });
    expect(Number(await metric.getAttribute("data-value"))).toBeGreaterThanOrEqual(0.89);
    await expect.poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: 60_000 }).toBe("succeeded");
    expect(await points()).toBeGreaterThan(100);
    await page.screenshot({ path: path.join(OUT, "adult-reload-e2e.png") });
  } finally {
    await page.close();
  }
});

it("the Workers page shows where nodes run", async () => {
  const page = await openPage(e2e.browser, e2e.server.url, { width: 1400, height: 700 });
  try {
    await page.goto(e2e.server.url, { waitUntil: "domcontentloaded", timeout: 180_000 });
    await page.getByTestId("workers-link").click();
    await page.waitForURL(/\/workers$/, { timeout: 180_000 });
    await expect.poll(() => page.getByTestId("worker-row").count(), { timeout: 60_000 }).toBe(1);
    expect(await page.getByTestId("workers-mode").textContent()).toMatch(/Embedded mode/);
    // this server trained the Adult models above in its worker threads: tfjs is loaded by now
    expect(await page.getByTestId("worker-row").textContent()).toMatch(/wasm|cpu|tensorflow/);
    await page.screenshot({ path: path.join(OUT, "workers.png") });
  } finally {
    await page.close();
  }
});
