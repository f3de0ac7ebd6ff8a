/**
 * Results a person would rather see than read, on the canvas: run the adult-fairness example in the browser;
 * the MLP's learning curve grows while it trains; ROC curve and confusion matrix appear on the metrics node;
 * the per-group bar chart on the fairness node, whose gate fails on sex. Screenshots under test-results/.
 */
import path from "node:path";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { e2eSession, openExample, openPage, OUT } from "./browser";

const e2e = e2eSession();

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"] [data-testid="node"]`);
const curvePoints = async (page: Page) =>
  ((await node(page, "mlp").locator('[data-testid="node-minichart"] polyline').first().getAttribute("points").catch(() => null)) ?? "").trim().split(/\s+/).filter(Boolean).length;

it("shows a growing learning curve, ROC and confusion matrix, and the fairness chart on their nodes", async () => {
  const page = await openPage(e2e.browser, e2e.server.url);
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  try {
    await openExample(page, e2e.server.url, "adult-fairness.workflow.json");
    await expect.poll(() => page.locator('[data-testid="node-issues"]').count(), { timeout: 60_000 }).toBe(0);
    await page.getByTestId("run").click();

    // The learning curve grows while the MLP trains.
    await expect.poll(() => node(page, "mlp").getByTestId("node-status").getAttribute("data-status"), { timeout: 240_000 }).toBe("running");
    await expect.poll(() => curvePoints(page), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
    const early = await curvePoints(page);
    await expect.poll(() => curvePoints(page), { timeout: 240_000 }).toBeGreaterThan(early);
    await page.screenshot({ path: path.join(OUT, "charts-training.png") });

    await expect.poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: 480_000 }).toBe("succeeded");
    // GBDT metrics node: ROC-AUC on its face, with the ROC curve and the confusion matrix.
    const metrics = node(page, "gbdtMetrics");
    expect(Number(await metrics.getByTestId("node-key-metric").getAttribute("data-value"))).toBeGreaterThanOrEqual(0.92);
    await expect.poll(() => metrics.locator('[data-testid="node-minichart"]').count(), { timeout: 60_000 }).toBe(2);
    expect(await metrics.locator('[data-testid="node-minichart"] polyline').count()).toBeGreaterThan(0); // ROC
    expect(await metrics.locator('[data-testid="node-minichart"][data-kind="heatmap"] rect').count()).toBe(4); // 2×2 confusion
    // Fairness node: per-group bars, and its gate says no.
    const fairness = node(page, "fairness");
    await expect.poll(() => fairness.locator('[data-testid="node-minichart"][data-kind="bar"] rect').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await fairness.click();
    await page.getByTestId("tab-output").click();
    await page.getByTestId("metric-demographic_parity_difference").waitFor({ timeout: 60_000 });
    expect(Number(await page.getByTestId("metric-demographic_parity_difference").textContent())).toBeGreaterThan(0.1);
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "charts-done.png") });
    expect(pageErrors).toEqual([]);
  } finally {
    await page.close();
  }
}, 600_000);
