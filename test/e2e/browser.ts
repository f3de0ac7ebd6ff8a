/** Debian's Chromium driven by playwright-core, with the flags that work on these machines (ENVIRONMENT.md). */
import { chromium, type Browser } from "playwright-core";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * A fresh browser context and page for `baseUrl`. Browser tests open pages through this so that what every
 * test needs before it starts (signing in, once the app has accounts) lives in one place.
 */
export async function openPage(browser: Browser, baseUrl: string, viewport = { width: 1680, height: 1000 }): Promise<import("playwright-core").Page> {
  void baseUrl;
  const context = await browser.newContext({ viewport });
  return context.newPage();
}
