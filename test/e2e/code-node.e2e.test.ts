/**
 * The code node as an engineer uses it (issue #6): drop a sample dataset and a Code node, connect them, open
 * the code editor (Monaco, served from this origin), type a function with type errors against the penguins'
 * columns, see them marked in the editor and counted on the node, have Run refuse with the list, fix the
 * code, run, and see the output table.
 */
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { expect, it } from "vitest";
import { e2eSession, openPage, OUT } from "./browser";

const e2e = e2eSession();

const node = (page: Page, kind: string) => page.locator(`[data-testid="node"][data-kind="${kind}"]`);
const CODE = "code/typescript";

async function center(l: Locator) {
  const b = await l.boundingBox();
  if (!b) throw new Error("element not visible");
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

// Line 4 names a column the penguins do not have; line 5 puts text into a number.
const WITH_ERRORS = `export default async function run({ inputs, params, ctx }: RunArgs): Promise<Outputs> {
  const t = inputs.a!;
  const heavy = t.filter((row) => (row["Body Mass (g)"] ?? 0) > 4500);
  const mass = heavy.numbers("Body Mass");
  const rows: number = heavy.numRows.toFixed(0);
  return { table: heavy.select("Species", "Island", "Body Mass (g)"), metrics: { rows, mean: mass[0] } };
}
`;
const FIXED = `export default async function run({ inputs, params, ctx }: RunArgs): Promise<Outputs> {
  const t = inputs.a!;
  const heavy = t.filter((row) => (row["Body Mass (g)"] ?? 0) > 4500);
  const mass = heavy.numbers("Body Mass (g)");
  const rows: number = heavy.numRows;
  return { table: heavy.select("Species", "Island", "Body Mass (g)"), metrics: { rows, mean: mass[0] } };
}
`;

/** Replaces the editor's text by pasting it (typing it key by key would add auto-closed brackets and indents). */
async function replaceCode(page: Page, text: string) {
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.locator('[data-testid="code-editor"] .monaco-editor .view-lines').click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("ControlOrMeta+v");
}

it("marks type errors in Monaco and on the node, refuses to run them, and runs the fixed code", async () => {
  const page = await openPage(e2e.browser, e2e.server.url);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: e2e.server.url });
  const pageErrors: string[] = [];
  const foreign: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("request", (r) => {
    if (!r.url().startsWith(e2e.server.url) && !r.url().startsWith("data:") && !r.url().startsWith("blob:")) foreign.push(r.url());
  });
  try {
    await fetch(`${e2e.server.url}/workflows/warm-up`).then((r) => r.text());
    await page.goto(e2e.server.url, { waitUntil: "domcontentloaded", timeout: 180_000 });
    await page.locator(".home[data-ready]").waitFor({ timeout: 180_000 });
    await page.getByTestId("new-workflow").click();
    await page.waitForURL(/\/workflows\//, { timeout: 180_000 });
    const canvas = page.getByTestId("canvas");
    await canvas.waitFor({ timeout: 180_000 });
    await page.getByTestId("palette-item-sources/sample-dataset").dragTo(canvas, { targetPosition: { x: 160, y: 160 } });
    await page.getByTestId(`palette-item-${CODE}`).dragTo(canvas, { targetPosition: { x: 520, y: 160 } });
    await expect.poll(() => node(page, CODE).count()).toBe(1);
    const a = await center(node(page, "sources/sample-dataset").getByTestId("handle-out-table"));
    const b = await center(node(page, CODE).getByTestId("handle-in-a"));
    await page.mouse.move(a.x, a.y);
    await page.mouse.down();
    await page.mouse.move(b.x, b.y, { steps: 10 });
    await page.mouse.up();
    await expect.poll(() => page.locator(".react-flow__edge").count()).toBe(1);

    // The default code type-checks: no badge. Open the editor from the node's settings.
    await node(page, CODE).click();
    await page.getByTestId("tab-settings").click();
    await page.getByTestId("open-code-editor").click();
    const modal = page.getByTestId("code-editor-modal");
    await modal.locator(".monaco-editor .view-lines").waitFor({ timeout: 120_000 });
    await expect.poll(() => modal.getByTestId("code-editor-status").getAttribute("data-errors"), { timeout: 120_000 }).toBe("0");

    // Type the function with two type errors: both are marked in the editor and listed under it.
    await replaceCode(page, WITH_ERRORS);
    await expect.poll(() => modal.getByTestId("code-editor-status").textContent(), { timeout: 60_000 }).toBe("2 type errors");
    await expect.poll(() => modal.locator(".monaco-editor .squiggly-error").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    const listed = await modal.getByTestId("code-editor-problem").allTextContents();
    expect(listed).toEqual([expect.stringMatching(/^Line 4: .*"Body Mass"/), expect.stringMatching(/^Line 5: Type 'string' is not assignable to type 'number'/)]);
    // Completion from the propagated schema: the penguins' columns are offered inside row["…"].
    // (At the start of the return line, inside run(), where `inputs` is in scope.)
    await page.keyboard.press("ControlOrMeta+Home");
    for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Home");
    await page.keyboard.insertText('inputs.a!.column("Fl');
    await page.keyboard.press("Control+Space");
    const rows = modal.locator(".suggest-widget .monaco-list-row");
    await expect.poll(() => rows.allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringContaining("Flipper Length (mm)")]));
    // Inside the string: column names, not code snippets (whose names "Fl" would match, e.g. "Row filter").
    expect((await rows.allTextContents()).filter((t) => t.includes("snippet:"))).toEqual([]);
    // Outside strings the snippets are offered.
    await page.keyboard.press("Escape");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.insertText("row filt");
    await page.keyboard.press("Control+Space");
    await expect.poll(() => rows.allTextContents(), { timeout: 30_000 }).toEqual(expect.arrayContaining([expect.stringContaining("snippet: Row filter")]));
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "code-node-editor-errors.png") });
    await page.keyboard.press("Escape");
    await expect.poll(() => modal.count()).toBe(1);

    // Closed: the node and the inspector show the count from the server's check.
    await replaceCode(page, WITH_ERRORS);
    await modal.getByTestId("code-editor-close").click();
    const badge = node(page, CODE).getByTestId("node-type-errors");
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toBe("2 type errors");
    await expect.poll(() => page.getByTestId("code-type-errors").textContent()).toBe("2 type errors");
    // Each type error once, under the Code field (not again in the inspector's general list).
    const fieldErrors = (await page.getByTestId("field-code-error").textContent()) ?? "";
    expect(fieldErrors).toContain("Type error at line 4");
    expect(fieldErrors).toContain("Type error at line 5");
    expect(fieldErrors.split("Type error at line 5")).toHaveLength(2);
    expect(await page.getByTestId("inspector-issues").count()).toBe(0);
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "code-node-badge.png") });

    // Run refuses, listing the errors with the user's lines.
    await page.getByTestId("run").click();
    await expect.poll(() => page.getByTestId("toast-error").first().textContent(), { timeout: 60_000 }).toMatch(/Type error at line 4/);
    expect(await node(page, CODE).getByTestId("node-status").count()).toBe(0);

    // Fix it: markers and badge go away; run; the output table shows the heavy penguins.
    await page.getByTestId("open-code-editor").click();
    await modal.locator(".monaco-editor .view-lines").waitFor({ timeout: 60_000 });
    await replaceCode(page, FIXED);
    await expect.poll(() => modal.getByTestId("code-editor-status").getAttribute("data-errors"), { timeout: 60_000 }).toBe("0");
    // The squiggles are redrawn a frame after the markers change (which the status follows): wait for them too.
    await expect.poll(() => modal.locator(".monaco-editor .squiggly-error").count(), { timeout: 30_000 }).toBe(0);
    await modal.getByTestId("code-editor-close").click();
    await expect.poll(() => node(page, CODE).getByTestId("node-type-errors").count(), { timeout: 60_000 }).toBe(0);
    await page.getByTestId("run").click();
    await expect.poll(() => node(page, CODE).getByTestId("node-status").getAttribute("data-status"), { timeout: 180_000 }).toMatch(/succeeded/);
    await node(page, CODE).click();
    await page.getByTestId("tab-output").click();
    const table = page.getByTestId("output-table").getByTestId("table-head");
    await table.waitFor({ timeout: 60_000 });
    const header = await table.locator("th").allTextContents();
    expect(header.join("|")).toMatch(/Species.*Island.*Body Mass \(g\)/);
    const masses = (await table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.lastElementChild?.textContent ?? ""))).map((t) => Number(t.replace(/[^\d.]/g, "")));
    expect(masses.length).toBeGreaterThan(0);
    for (const m of masses) expect(m).toBeGreaterThan(4500);
    await page.mouse.move(5, 5);
    await page.screenshot({ path: path.join(OUT, "code-node-output.png") });
  } catch (e) {
    await page.screenshot({ path: path.join(OUT, "code-node-failure.png") }).catch(() => undefined);
    throw e;
  }
  expect(pageErrors).toEqual([]);
  expect(foreign).toEqual([]);
  await page.close();
});
