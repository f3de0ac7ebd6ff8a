/** Debian's Chromium driven by playwright-core, with the flags that work on these machines (ENVIRONMENT.md). */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { repoRoot, startServer, type RunningServer } from "./server";

/** Where browser tests write their screenshots. */
export const OUT = path.join(repoRoot, "test-results");

/**
 * The real server and a Chromium for one test file: started before its tests, stopped after them. Read
 * `e2e.server` / `e2e.browser` inside tests and hooks (they exist once the file's beforeAll has run).
 */
export function e2eSession(): { readonly server: RunningServer; readonly browser: Browser } {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    mkdirSync(OUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error("e2e server not started yet (use it inside tests or hooks)");
      return server;
    },
    get browser() {
      if (!browser) throw new Error("e2e browser not started yet (use it inside tests or hooks)");
      return browser;
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export const E2E_PASSWORD = "e2e correct horse battery";
/** The account every browser test signs in as: the first one on the test server, so the admin. */
export const E2E_ADMIN = "admin@e2e.test";

/** Session cookie per server and account: signing up hashes a password (slow), so each happens once. */
const sessions = new Map<string, Promise<{ name: string; value: string }>>();

async function authPost(baseUrl: string, path: string, body: Record<string, string>): Promise<Response> {
  return fetch(`${baseUrl}/api/auth/${path}`, { method: "POST", headers: { "content-type": "application/json", origin: baseUrl }, body: JSON.stringify(body) });
}

/**
 * A session for `email` on the server at `baseUrl`: signs up (the first account on a fresh server becomes
 * admin, later ones viewers), or signs in when the account exists already (LATTICE_E2E_URL servers).
 */
export function sessionCookie(baseUrl: string, email = E2E_ADMIN): Promise<{ name: string; value: string }> {
  const k = `${baseUrl} ${email}`;
  let s = sessions.get(k);
  if (!s) {
    s = (async () => {
      let res = await authPost(baseUrl, "sign-up/email", { email, password: E2E_PASSWORD, name: email.split("@")[0]! });
      if (res.status === 422) res = await authPost(baseUrl, "sign-in/email", { email, password: E2E_PASSWORD });
      if (!res.ok) throw new Error(`Could not sign in ${email} on ${baseUrl}: ${res.status} ${await res.text()}`);
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith("lattice.session_token="));
      if (!cookie) throw new Error(`Signing in ${email} set no session cookie`);
      const [pair] = cookie.split(";");
      const eq = pair!.indexOf("=");
      return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1) };
    })();
    sessions.set(k, s);
    s.catch(() => sessions.delete(k));
  }
  return s;
}

/**
 * A fresh browser context and page for `baseUrl`, signed in (as the e2e admin unless `as` names another account;
 * `as: null` leaves it signed out). Browser tests open pages through this so that what every test needs before it
 * starts lives in one place.
 */
export async function openPage(
  browser: Browser,
  baseUrl: string,
  viewport = { width: 1680, height: 1000 },
  opts: { as?: string | null } = {},
): Promise<import("playwright-core").Page> {
  const context = await browser.newContext({ viewport });
  const email = opts.as === undefined ? E2E_ADMIN : opts.as;
  if (email !== null) {
    // The admin is always signed up first, so that it is the one that becomes admin.
    await sessionCookie(baseUrl, E2E_ADMIN);
    const { name, value } = await sessionCookie(baseUrl, email);
    await context.addCookies([{ name, value, url: baseUrl, httpOnly: true, sameSite: "Lax" }]);
  }
  return context.newPage();
}

/**
 * From the home page, open one of the bundled examples (`file`, e.g. "adult-income.workflow.json") as a new
 * workflow, as a person does with "Start from an example"; resolves on the editor's canvas with its URL.
 */
export async function openExample(page: import("playwright-core").Page, baseUrl: string, file: string, timeout = 180_000): Promise<string> {
  await page.goto(baseUrl, { waitUntil: "domcontentloaded", timeout });
  await page.locator(".home[data-ready]").waitFor({ timeout });
  await page.getByTestId(`example-${file}`).click();
  await page.waitForURL(/\/workflows\//, { timeout });
  await page.getByTestId("canvas").waitFor({ timeout });
  return page.url();
}

