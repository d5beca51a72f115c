// Starts `parindex demo` on a fresh SQLite file and a free port, and Chromium through
// playwright-core (Debian's /usr/bin/chromium; nothing is downloaded).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');
export const artifacts = join(root, 'e2e', 'artifacts');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Start the demo; `extraArgs` go before `demo` (global options such as `--as-of 2021-12-20`).
 * `dir`: the folder of an earlier app's database, to start again on it (e.g. with a later
 * `--as-of`: the demo takes the history that came due since); a fresh one by default.
 * `stop()` resolves when the process has exited.
 */
export async function startApp(extraArgs = [], { dir: reuse } = {}) {
  const bin = process.env.PARINDEX_BIN || join(root, 'target', 'debug', 'parindex');
  const dir = reuse || mkdtempSync(join(tmpdir(), 'parindex-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['--db', `sqlite://${join(dir, 'e2e.db')}`, ...extraArgs, 'demo', '--bind', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PARINDEX_LOG: 'warn' },
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`parindex exited early:\n${log}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`parindex did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const exited = new Promise((ok) => child.once('exit', ok));
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGINT');
    return exited;
  };
  return { base, dir, stop, log: () => log };
}

export async function startBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Run `fn(page)`; on failure save a screenshot named after the test, then rethrow. */
export async function withPage(browser, name, fn, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport, locale: 'vi-VN' });
  const page = await context.newPage();
  try {
    await fn(page);
  } catch (e) {
    mkdirSync(artifacts, { recursive: true });
    const file = join(artifacts, `${name.replace(/[^a-z0-9]+/gi, '-')}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    e.message += `\n(screenshot: ${file}; page: ${page.url()})`;
    throw e;
  } finally {
    await context.close();
  }
}

/** Sign in with the keyboard only. */
export async function signIn(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.locator('#username').focus();
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
}
