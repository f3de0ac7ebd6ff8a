/**
 * Settings forms for lists, with the mouse only: the "Data checks" node of the adult-fairness example shows
 * its rules as cards (not JSON); a rule is added on a column picked from the upstream schema, moved and removed;
 * a number inside a rule is changed; the MLP's hidden layers are edited as a list of numbers. After saving and
 * reloading, the form shows what was saved.
 */
import path from "node:path";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { e2eSession, openExample, openPage, OUT } from "./browser";


const e2e = e2eSession();

const node = (page: Page, kind: string) => page.locator(`[data-testid="node"][data-kind="${kind}"]`);
const cards = (page: Page) => page.locator('[data-testid="field-expectations"] > .item-card');
const variants = (page: Page) => cards(page).evaluateAll((els) => els.map((e) => e.getAttribute("data-variant")));

async function openSettings(page: Page, kind: string) {
  await node(page, kind).click();
  await page.getByTestId("tab-settings").click();
}

it("edits list params (rules, hidden layers) with the mouse and keeps them after a reload", async () => {
  const page = await openPage(e2e.browser, e2e.server.url);
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  try {
    await fetch(`${e2e.server.url}/workflows/warm-up`).then((r) => r.text());
    const workflowUrl = await openExample(page, e2e.server.url, "adult-fairness.workflow.json");

    // The five rules of the example, as cards with their own fields.
    await openSettings(page, "validation/expectations");
    const list = page.getByTestId("field-expectations");
    await list.waitFor();
    expect(await list.evaluate((e) => e.tagName)).not.toBe("TEXTAREA");
    expect(await page.locator('[data-field="expectations"] textarea').count()).toBe(0);
    expect(await variants(page)).toEqual(["column_exists", "allowed_values", "not_null", "between", "row_count"]);
    expect(await page.getByTestId("field-expectations-item-1-values-item-1").inputValue()).toBe(">50K");
    expect(await page.getByTestId("field-expectations-item-3-max").inputValue()).toBe("100");

    // Add "Values are unique": the new card has an empty column picker, flagged as required.
    await page.getByTestId("field-expectations-add-type").selectOption({ label: "Values are unique" });
    await page.getByTestId("field-expectations-add").click();
    await expect.poll(() => variants(page)).toEqual(["column_exists", "allowed_values", "not_null", "between", "row_count", "unique"]);
    await expect.poll(() => page.getByTestId("field-expectations-item-5-column-error").textContent()).toBe("Required.");
    // Pick the column with the mouse from the columns the file source gives.
    const column = page.getByTestId("field-expectations-item-5-column");
    await expect.poll(async () => (await column.locator("option").allTextContents()).some((t) => t.startsWith("education ")), { timeout: 120_000 }).toBe(true);
    await column.selectOption("education");
    await expect.poll(() => page.getByTestId("field-expectations-item-5-column-error").count()).toBe(0);
    // Move it up one place, then look at it.
    await page.getByTestId("field-expectations-item-5-up").click();
    expect(await variants(page)).toEqual(["column_exists", "allowed_values", "not_null", "between", "unique", "row_count"]);
    expect(await page.getByTestId("field-expectations-item-4-column").inputValue()).toBe("education");
    await page.getByTestId("field-expectations-item-4").scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "forms-rules.png") });
    // Changing its kind resets its fields.
    await page.getByTestId("field-expectations-item-4-type").selectOption({ label: "Values match a pattern" });
    expect(await page.getByTestId("field-expectations-item-4-column").inputValue()).toBe("");
    expect(await page.getByTestId("field-expectations-item-4-pattern").inputValue()).toBe("");
    // ...and remove it again.
    await page.getByTestId("field-expectations-item-4-remove").click();
    expect(await variants(page)).toEqual(["column_exists", "allowed_values", "not_null", "between", "row_count"]);
    // A number inside a rule.
    await page.getByTestId("field-expectations-item-3-max").fill("90");

    // Hidden layers of the MLP: 32, 16 through the list of numbers.
    await openSettings(page, "training/mlp");
    expect(await page.getByTestId("field-hiddenLayers-item-0").inputValue()).toBe("64");
    expect(await page.getByTestId("field-hiddenLayers-item-1").inputValue()).toBe("64");
    await page.getByTestId("field-hiddenLayers-add").click();
    await page.getByTestId("field-hiddenLayers-item-2").waitFor();
    await page.getByTestId("field-hiddenLayers-item-0").fill("32");
    await page.getByTestId("field-hiddenLayers-item-1").fill("16");
    await page.getByTestId("field-hiddenLayers-item-2-remove").click();
    await expect.poll(() => page.getByTestId("field-hiddenLayers-item-2").count()).toBe(0);
    await page.locator('[data-field="hiddenLayers"]').scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "forms-mlp.png") });

    await page.getByTestId("save").click();
    await expect.poll(() => page.getByTestId("dirty").count(), { timeout: 30_000 }).toBe(0);

    // Reload: the form shows what was saved.
    await page.goto(workflowUrl, { waitUntil: "domcontentloaded", timeout: 180_000 });
    await page.getByTestId("canvas").waitFor({ timeout: 180_000 });
    await openSettings(page, "training/mlp");
    await page.getByTestId("field-hiddenLayers-item-0").waitFor();
    expect(await page.getByTestId("field-hiddenLayers-item-0").inputValue()).toBe("32");
    expect(await page.getByTestId("field-hiddenLayers-item-1").inputValue()).toBe("16");
    expect(await page.getByTestId("field-hiddenLayers-item-2").count()).toBe(0);
    await openSettings(page, "validation/expectations");
    await page.getByTestId("field-expectations").waitFor();
    expect(await variants(page)).toEqual(["column_exists", "allowed_values", "not_null", "between", "row_count"]);
    expect(await page.getByTestId("field-expectations-item-3-max").inputValue()).toBe("90");
    expect(await page.getByTestId("field-expectations-item-3-min").inputValue()).toBe("16");
    await page.getByTestId("field-expectations-item-3").scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "forms-reloaded.png") });

    // A list of texts (missing-value markers of the file source): rows, with add and remove.
    await openSettings(page, "sources/file");
    expect(await page.getByTestId("field-nullStrings-item-0").inputValue()).toBe("?");
    await page.getByTestId("field-nullStrings-add").click();
    await page.getByTestId("field-nullStrings-item-1").fill("NA");
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "forms-strings.png") });
    await page.getByTestId("field-nullStrings-item-1-remove").click();
    await expect.poll(() => page.getByTestId("field-nullStrings-item-1").count()).toBe(0);
  } catch (e) {
    await page.screenshot({ path: path.join(OUT, "forms-e2e-failure.png") }).catch(() => undefined);
    throw e;
  } finally {
    await page.close();
  }
  expect(pageErrors).toEqual([]);
});

it("edits a Tuning node's search space with the mouse: settings are picked from the chosen trainer's", async () => {
  const page = await openPage(e2e.browser, e2e.server.url);
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  try {
    await openExample(page, e2e.server.url, "adult-tuning.workflow.json");
    await openSettings(page, "tuning/tune");
    // The example's three entries, each with a picker of gradient boosting's settings.
    const setting = (i: number) => page.getByTestId(`field-space-item-${i}-param`);
    await setting(2).waitFor();
    expect(await setting(0).evaluate((e) => e.tagName)).toBe("SELECT");
    expect([await setting(0).inputValue(), await setting(1).inputValue(), await setting(2).inputValue()]).toEqual(["maxIter", "learningRate", "maxLeafNodes"]);
    const options = await setting(0).locator("option").evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(options).toEqual(expect.arrayContaining(["maxIter", "learningRate", "maxLeafNodes", "minSamplesLeaf"]));
    expect(options).not.toContain("label");
    // Add a list of values for another setting, picked from the list.
    await page.getByTestId("field-space-add-type").selectOption({ label: "List of values" });
    await page.getByTestId("field-space-add").click();
    await setting(3).waitFor();
    await setting(3).selectOption("minSamplesLeaf");
    expect(await setting(3).inputValue()).toBe("minSamplesLeaf");
    // Another trainer: its own settings are offered.
    await page.getByTestId("field-trainer").selectOption("logistic-regression");
    await expect.poll(async () => (await setting(0).locator("option").allTextContents()).some((t) => t.includes("(C)") || t === "C"), { timeout: 10_000 }).toBe(true);
    await page.getByTestId("field-space").scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "forms-tuning.png") });
  } catch (e) {
    await page.screenshot({ path: path.join(OUT, "forms-tuning-failure.png") }).catch(() => undefined);
    throw e;
  } finally {
    await page.close();
  }
  expect(pageErrors).toEqual([]);
});
