/**
 * Publishing from the app: sign in through the form, open the Adult example, run it, Publish (gate checks shown),
 * land on the endpoint page, create an API key (shown once), try a prediction with it; a viewer cannot
 * publish or manage keys; signing out returns to the sign-in page.
 */
import path from "node:path";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import { E2E_ADMIN, E2E_PASSWORD, e2eSession, openExample, openPage, OUT, sessionCookie } from "./browser";


const e2e = e2eSession();
let workflowUrl = "";
let endpointUrl = "";

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true }).catch(() => undefined);
}

/** Runs `body`, saving a screenshot named `name-failure` when it throws. */
async function step(page: Page, name: string, body: () => Promise<void>) {
  try {
    await body();
  } catch (e) {
    await shot(page, `${name}-failure`);
    throw new Error(`${name}: ${e instanceof Error ? e.message : String(e)}\n--- server log (tail) ---\n${e2e.server.log().slice(-3000)}`, { cause: e });
  }
}

it("sends a signed-out visitor to the sign-in form, signs in and out", async () => {
  const page = await openPage(e2e.browser, e2e.server.url, undefined, { as: null });
  await openPage(e2e.browser, e2e.server.url).then((p) => p.close()); // makes sure the e2e admin account exists
  await step(page, "sign-in", async () => {
    await page.goto(`${e2e.server.url}/models`, { waitUntil: "domcontentloaded", timeout: 180_000 });
    await page.waitForURL(/\/sign-in\?next=%2Fmodels/, { timeout: 60_000 });
    await page.locator('[data-testid="sign-in-form"]').waitFor();
    await page.locator("[data-ready]").waitFor();
    await page.getByTestId("auth-email").fill(E2E_ADMIN);
    await page.getByTestId("auth-password").fill("not the password");
    await page.getByTestId("auth-submit").click();
    await expect.poll(() => page.getByTestId("auth-error").textContent(), { timeout: 20_000 }).toMatch(/invalid email or password/i);
    await shot(page, "endpoints-sign-in-refused");
    await page.getByTestId("auth-password").fill(E2E_PASSWORD);
    await page.getByTestId("auth-submit").click();
    await page.waitForURL(/\/models$/, { timeout: 60_000 });
    await expect.poll(() => page.getByTestId("user-email").textContent(), { timeout: 30_000 }).toBe(E2E_ADMIN);
    await page.getByTestId("user-menu").click();
    await page.getByTestId("sign-out").click();
    await page.waitForURL(/\/sign-in/, { timeout: 30_000 });
  });
  await page.context().close();
});

it("runs the Adult example, publishes it and predicts through the endpoint page", async () => {
  const page = await openPage(e2e.browser, e2e.server.url);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await step(page, "endpoints-run", async () => {
    workflowUrl = await openExample(page, e2e.server.url, "adult-income.workflow.json");
    await expect.poll(() => page.locator('[data-testid="node"]').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid="node-issues"]').count(), { timeout: 60_000 }).toBe(0);
    await page.getByTestId("run").click();
    await expect.poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: 300_000, interval: 1000 }).toBe("succeeded");
  });

  await step(page, "endpoints-publish", async () => {
    await page.getByTestId("publish").click();
    const dialog = page.getByTestId("publish-dialog");
    await dialog.waitFor();
    // The Adult example has no gate node: the dialog says so rather than showing an empty list.
    await dialog.getByTestId("gate-none").or(dialog.getByTestId("gate-checks")).waitFor({ timeout: 60_000 });
    await page.getByTestId("publish-slug").fill("adult-e2e");
    await shot(page, "endpoints-publish-dialog");
    await page.getByTestId("publish-confirm").click();
    await page.waitForURL(/\/endpoints\/adult-e2e/, { timeout: 120_000 });
    endpointUrl = page.url().split("?")[0]!;
    await page.locator("[data-ready]").waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId("version-1").getByTestId("live-pill").count()).toBe(1);
  });

  await step(page, "endpoints-key", async () => {
    await page.getByTestId("key-name").fill("e2e-client");
    await page.getByTestId("create-key").click();
    const key = (await page.getByTestId("new-key-value").textContent({ timeout: 30_000 }))!;
    expect(key).toMatch(/^lat_/);
    // The new key fills the try-it form; the key list shows only its prefix.
    expect(await page.getByTestId("try-key").inputValue()).toBe(key);
    await expect.poll(() => page.getByTestId("key-e2e-client").textContent()).not.toContain(key);
    expect(await page.getByTestId("snippet").textContent()).toContain("/api/v1/endpoints/adult-e2e/predict");
  });

  await step(page, "endpoints-try", async () => {
    await page.getByTestId("try-field-age").fill("52");
    await page.getByTestId("try-send").click();
    const answer = page.getByTestId("try-answer");
    await answer.waitFor({ timeout: 60_000 });
    expect(await answer.getAttribute("data-status")).toBe("200");
    expect(await page.getByTestId("try-prediction").textContent()).toMatch(/^(<=50K|>50K)$/);
    // Stats refresh every 5 s: the request shows up.
    await expect.poll(() => page.getByTestId("stat-requests").textContent(), { timeout: 20_000 }).not.toBe("0");
    await shot(page, "endpoints-page");
  });
  expect(errors).toEqual([]);
  await page.context().close();
});

it("does not let a viewer publish or manage keys", async () => {
  expect(workflowUrl && endpointUrl, "needs the publishing test first").toBeTruthy();
  const page = await openPage(e2e.browser, e2e.server.url, undefined, { as: "viewer@e2e.test" });
  await step(page, "endpoints-viewer", async () => {
    await page.goto(workflowUrl, { waitUntil: "domcontentloaded", timeout: 180_000 });
    await expect.poll(() => page.getByTestId("user-email").textContent(), { timeout: 60_000 }).toBe("viewer@e2e.test");
    const publish = page.getByTestId("publish");
    await publish.waitFor();
    expect(await publish.isDisabled()).toBe(true);
    expect(await publish.getAttribute("title")).toMatch(/needs the editor role/);
    expect(await page.getByTestId("run").isDisabled()).toBe(true);

    // Even a hand-made call is refused, with the role in the message.
    const refused = await page.evaluate(async () => {
      const res = await fetch("/api/trpc/endpoints.publish", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json: { workflowId: "x" } }) });
      return { status: res.status, body: await res.text() };
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("needs the editor role");

    // Home: workflows are listed, but creating them needs the editor role; admin pages are not linked.
    await page.goto(e2e.server.url, { waitUntil: "domcontentloaded" });
    await page.locator(".home[data-ready]").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("new-workflow").isDisabled()).toBe(true);
    expect(await page.getByTestId("users-link").count()).toBe(0);
    await shot(page, "endpoints-home-viewer");

    await page.goto(endpointUrl, { waitUntil: "domcontentloaded" });
    await page.locator("[data-ready]").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("create-key").count()).toBe(0);
    expect(await page.getByTestId("rollback").isDisabled()).toBe(true);
    await shot(page, "endpoints-viewer");
  });
  await page.context().close();
});

it("refuses publishing while the fairness gate fails, takes an admin override with a reason, and rolls back", async () => {
  expect(workflowUrl && endpointUrl, "needs the publishing test first").toBeTruthy();
  const page = await openPage(e2e.browser, e2e.server.url);
  await step(page, "endpoints-gate", async () => {
    await page.goto(workflowUrl, { waitUntil: "domcontentloaded", timeout: 180_000 });
    await page.getByTestId("canvas").waitFor({ timeout: 180_000 });
    // Add a fairness check on sex after the metrics node (the same node the fairness example uses), as a saved version.
    const id = decodeURIComponent(workflowUrl.split("/workflows/")[1]!);
    const saved = await page.evaluate(async (workflowId) => {
      const get = await fetch(`/api/trpc/workflow.get?input=${encodeURIComponent(JSON.stringify({ json: { id: workflowId } }))}`);
      const graph = (await get.json()).result.data.json.graph;
      graph.nodes.push({ id: "fairness", kind: "fairness/group-metrics", version: 1, label: "Fairness across sex", params: { sensitive: "sex" }, position: { x: 1100, y: 330 } });
      graph.edges.push({ id: "e-fair", source: "metrics", sourcePort: "predictions", target: "fairness", targetPort: "predictions" });
      const res = await fetch("/api/trpc/workflow.save", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ json: { id: workflowId, graph, message: "fairness gate" } }) });
      return res.status;
    }, id);
    expect(saved).toBe(200);
    await page.reload({ waitUntil: "domcontentloaded" });
    await expect.poll(() => page.locator('[data-testid="node"][data-kind="fairness/group-metrics"]').count(), { timeout: 60_000 }).toBe(1);
    // Pressed right after the graph appears, while the editor may still be fetching the previous run.
    await page.getByTestId("run").click();
    // The page may still show the previous run as succeeded: wait for the new node to finish (or a refusal).
    const fairness = page.locator('[data-testid="node"][data-kind="fairness/group-metrics"]');
    await expect
      .poll(
        async () => {
          const toast = page.getByTestId("toast-error");
          if (await toast.count()) throw new Error(`Run refused: ${await toast.first().textContent()}`);
          return fairness.getByTestId("node-status").getAttribute("data-status", { timeout: 1000 }).catch(() => null);
        },
        { timeout: 300_000, interval: 1000 },
      )
      .toBe("succeeded");
    await expect.poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: 60_000, interval: 1000 }).toBe("succeeded");

    await page.getByTestId("publish").click();
    await page.getByTestId("publish-slug").fill("adult-e2e");
    const check = page.getByTestId("gate-check-fairness");
    await check.waitFor({ timeout: 60_000 });
    expect(await check.getAttribute("data-passed")).toBe("false");
    expect((await check.textContent())!.length).toBeGreaterThan(20); // the reasons are shown
    await page.getByTestId("gate-refused").waitFor();
    expect(await page.getByTestId("publish-confirm").isDisabled()).toBe(true);
    await page.getByTestId("override-toggle").check();
    expect(await page.getByTestId("publish-confirm").isDisabled()).toBe(true); // a reason is required
    await page.getByTestId("override-reason").fill("Known gap on sex; reviewed with the fairness board, fix scheduled.");
    await shot(page, "endpoints-gate-override");
    await page.getByTestId("publish-confirm").click();
    await page.waitForURL(/\/endpoints\/adult-e2e\?published=2/, { timeout: 120_000 });
    await page.getByTestId("version-2").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("version-2").textContent()).toContain("overridden");

    // Promote v2, then one click on Rollback brings v1 back.
    await page.getByTestId("make-live-2").click();
    await expect.poll(() => page.getByTestId("version-2").getByTestId("live-pill").count(), { timeout: 20_000 }).toBe(1);
    await page.getByTestId("rollback").click();
    await expect.poll(() => page.getByTestId("version-1").getByTestId("live-pill").count(), { timeout: 20_000 }).toBe(1);
    await shot(page, "endpoints-rollback");
  });
  await page.context().close();
});

it("lets the admin change the viewer's role on the Users page and see it in the audit log", async () => {
  const page = await openPage(e2e.browser, e2e.server.url);
  await sessionCookie(e2e.server.url, "viewer@e2e.test"); // the viewer exists even when the test before it failed early
  await step(page, "endpoints-admin-pages", async () => {
    await page.goto(`${e2e.server.url}/users`, { waitUntil: "domcontentloaded", timeout: 180_000 });
    await page.locator("[data-ready]").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId(`role-${E2E_ADMIN}`).inputValue()).toBe("admin");
    await page.getByTestId("role-viewer@e2e.test").selectOption("editor");
    await expect.poll(() => page.getByTestId("role-saved").textContent(), { timeout: 20_000 }).toContain("viewer@e2e.test is now an editor");
    await shot(page, "endpoints-users");

    await page.getByTestId("audit-link").click();
    await page.waitForURL(/\/audit/);
    await page.getByTestId("audit-table").waitFor({ timeout: 60_000 });
    expect(await page.getByTestId("audit-user.role").count()).toBe(1);
    if (endpointUrl) {
      expect(await page.getByTestId("audit-endpoint.publish").count()).toBeGreaterThan(0);
      expect(await page.getByTestId("audit-key.create").count()).toBe(1);
      expect(await page.getByTestId("audit-gate.override").count()).toBe(1);
    }
    await shot(page, "endpoints-audit");
  });
  await page.context().close();
});
