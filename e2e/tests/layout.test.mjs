// Tables that fit and print (docs/web.md, "Layout and print"), measured in a real headless
// Chromium on the demo: at 1280 px no table on the wide pages is wider than the window; at 390 px
// the phone pages have no sideways scroll and "my tasks" keeps status and deadline in sight; in
// print the navigation is hidden, table headers repeat, and the results page prints as an A4 PDF.
//
// The clock is set after the 2021 rounds were published (25/02/2022), so that a published
// ranking and a closed round both exist whatever the demo's default day.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, startBrowser, withPage, signIn, artifacts } from './harness.mjs';

const PLAN = 'bac-giang-2021';
const COORDINATOR = ['sonoivu', 'bacgiang-coordinator'];
const AGENCY = ['sotuphap', 'bacgiang-agency'];
const LEADER = ['lanhdao', 'bacgiang-leader'];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

let app;
let browser;

before(async () => {
  app = await startApp(['--as-of', '2022-03-15']);
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  app?.stop();
});

/** Open `path` (200 expected) and return the page's and every table's width. */
async function widths(page, path) {
  const res = await page.goto(`${app.base}${path}`);
  assert.equal(res.status(), 200, `${path} answered ${res.status()}`);
  return page.evaluate(() => ({
    viewport: window.innerWidth,
    page: document.documentElement.scrollWidth,
    tables: [...document.querySelectorAll('table')]
      .filter((t) => t.getClientRects().length > 0)
      .map((t) => ({ id: t.id || '(no id)', width: Math.ceil(t.getBoundingClientRect().width) })),
  }));
}

function assertFits(path, w, { needTable = true } = {}) {
  assert.ok(w.page <= w.viewport, `${path}: the page is ${w.page} px wide in a ${w.viewport} px window`);
  if (needTable) assert.ok(w.tables.length > 0, `${path}: no table to measure`);
  for (const t of w.tables) {
    assert.ok(t.width <= w.viewport, `${path}: table #${t.id} is ${t.width} px wide in a ${w.viewport} px window`);
  }
}

/** The hrefs of `main` links matching `re` on `path`. */
async function links(page, path, re) {
  await page.goto(`${app.base}${path}`);
  const hrefs = await page.locator('main a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  return [...new Set(hrefs.filter((h) => re.test(h)))];
}

test('at 1280 px no table on the wide pages is wider than the window', async () => {
  await withPage(browser, 'layout 1280', async (page) => {
    await signIn(page, app.base, ...COORDINATOR);
    const rounds = (await links(page, '/assessments', /^\/assessments\/[^/?#]+$/)).filter((h) => h !== '/assessments/new');
    const rankings = await links(page, '/rankings', /^\/rankings\/[^/?#]+$/);
    assert.ok(rounds.length > 0, 'no assessment round listed');
    assert.ok(rankings.length > 0, 'no published ranking listed');
    const paths = [
      '/results',
      '/results/compare',
      `/plans/${PLAN}/accountability`,
      '/audit',
      '/dossiers',
      ...rounds,
      ...rankings,
    ];
    for (const path of paths) assertFits(path, await widths(page, path));
    // The compare table really compares two editions (the layout is measured on real rows).
    await page.goto(`${app.base}/results/compare`);
    assert.ok((await page.locator('#compare-table tbody tr').count()) > 1);
  }, DESKTOP);
  // The leader reads the audit log and the accountability page too.
  await withPage(browser, 'layout 1280 leader', async (page) => {
    await signIn(page, app.base, ...LEADER);
    for (const path of ['/audit', `/plans/${PLAN}/accountability`]) assertFits(path, await widths(page, path));
  }, DESKTOP);
});

test('at 390 px the dashboard, results, my tasks and the plan tree have no sideways scroll', async () => {
  for (const [name, who] of [['agency', AGENCY], ['coordinator', COORDINATOR]]) {
    await withPage(browser, `layout 390 ${name}`, async (page) => {
      await signIn(page, app.base, ...who);
      for (const path of ['/', '/results', `/plans/${PLAN}/my`, `/plans/${PLAN}`]) {
        assertFits(path, await widths(page, path), { needTable: path !== '/' });
      }
    }, PHONE);
  }
});

test('on a phone "my tasks" keeps status and deadline in sight, and results keep the total', async () => {
  await withPage(browser, 'layout 390 my tasks', async (page) => {
    await signIn(page, app.base, ...AGENCY);
    await page.goto(`${app.base}/plans/${PLAN}/my`);
    const heads = await page.locator('#my-table thead th').allTextContents();
    const deadline = heads.findIndex((h) => /Thời hạn/.test(h));
    const status = heads.findIndex((h) => /Trạng thái/.test(h));
    assert.ok(deadline >= 0 && status >= 0, `headers: ${heads.join(' | ')}`);
    const first = page.locator('#my-table tbody tr').first();
    for (const [i, label] of [[deadline, 'Thời hạn'], [status, 'Trạng thái']]) {
      const cell = first.locator('td').nth(i);
      assert.ok(await cell.isVisible(), `${label} is hidden`);
      // The card labels its value with the header's own text (from the catalogue).
      assert.equal(await cell.getAttribute('data-label'), heads[i].trim());
      const box = await cell.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `${label} lies outside the window: ${JSON.stringify(box)}`);
      assert.notEqual((await cell.innerText()).trim(), '', `${label} is empty`);
      // The label is drawn before the value.
      const before = await cell.evaluate((td) => getComputedStyle(td, '::before').content);
      assert.equal(before, JSON.stringify(heads[i].trim()));
    }

    await page.goto(`${app.base}/results`);
    const total = page.locator('#results-table thead th', { hasText: 'Tổng điểm' }).first();
    assert.ok(await total.isVisible(), 'the total column is hidden on a phone');
    const box = await total.boundingBox();
    assert.ok(box.x + box.width <= PHONE.width, `the total lies outside the window: ${JSON.stringify(box)}`);
  }, PHONE);
});

test('every page the coordinator reaches from the menus fits at 1280 px and does not scroll sideways at 390 px', async () => {
  const hubs = ['/', '/editions', '/results', '/gap', '/assessments', '/rankings', `/plans/${PLAN}`,
    `/plans/${PLAN}/board`, `/plans/${PLAN}/compliance`, '/indicators', '/dossiers', '/units'];
  for (const viewport of [DESKTOP, PHONE]) {
    await withPage(browser, `layout crawl ${viewport.width}`, async (page) => {
      await signIn(page, app.base, ...COORDINATOR);
      const paths = new Set(hubs);
      for (const hub of hubs) {
        await page.goto(`${app.base}${hub}`);
        const hrefs = await page.locator('a[href^="/"]:not([download])').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        // Pages only: files (exports, reports, attachments) are read back by their own tests.
        for (const h of hrefs) if (!/export|format=|\.(xlsx|docx|csv|json|pdf)\b|\/files?\/|logout/.test(h)) paths.add(h.split('#')[0]);
      }
      assert.ok(paths.size > 40, `only ${paths.size} pages found`);
      let measured = 0;
      for (const path of paths) {
        const res = await page.goto(`${app.base}${path}`).catch(() => null); // a download is not a page
        if (!res || res.status() !== 200 || !(res.headers()['content-type'] ?? '').startsWith('text/html')) continue;
        const w = await page.evaluate(() => ({
          viewport: window.innerWidth,
          page: document.documentElement.scrollWidth,
          tables: [...document.querySelectorAll('table')].filter((t) => t.getClientRects().length > 0)
            .map((t) => ({ id: t.id || '(no id)', width: Math.ceil(t.getBoundingClientRect().width) })),
        }));
        assert.ok(w.page <= w.viewport, `${path}: the page is ${w.page} px wide in a ${w.viewport} px window`);
        // At 1280 px every table fits; on a phone a wide table may scroll inside its own frame.
        if (viewport === DESKTOP) assertFits(path, w, { needTable: false });
        measured += 1;
      }
      assert.ok(measured > 40, `only ${measured} pages measured`);
    }, viewport);
  }
});

test('print: no navigation or search form, headers repeat, rows kept whole; the results print as an A4 PDF', async () => {
  await withPage(browser, 'layout print', async (page) => {
    await signIn(page, app.base, ...COORDINATOR);
    await page.goto(`${app.base}/results`);
    assert.ok(await page.locator('header.top nav').isVisible(), 'the navigation shows on screen');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.top').isVisible(), false, 'the header is printed');
    assert.equal(await page.locator('header.top nav').isVisible(), false, 'the navigation is printed');
    assert.equal(await page.locator('form.searchbar').isVisible(), false, 'the search form is printed');
    assert.ok(await page.locator('#results-table').isVisible(), 'the table is not printed');
    // A line of download links means nothing on paper.
    const downloads = page.locator('main p:has(> a[download])');
    for (let i = 0; i < await downloads.count(); i += 1) {
      assert.equal(await downloads.nth(i).isVisible(), false, 'a line of download links is printed');
    }
    const style = await page.evaluate(() => {
      const s = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
      return {
        thead: s('#results-table thead', 'display'),
        row: s('#results-table tbody tr', 'breakInside'),
        link: s('#results-table thead a', 'textDecorationLine'),
      };
    });
    assert.equal(style.thead, 'table-header-group');
    assert.equal(style.row, 'avoid');
    assert.equal(style.link, 'none');

    const pdf = await page.pdf({ format: 'A4' });
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'results-print.pdf'), pdf);
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const pages = pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? [];
    assert.ok(pages.length >= 1, 'the PDF has no page');
    // A4 portrait: 595 × 842 points.
    assert.match(pdf.toString('latin1'), /\/MediaBox\s*\[\s*0\s+0\s+595(\.\d+)?\s+842(\.\d+)?\s*\]/);
  }, DESKTOP);
});
