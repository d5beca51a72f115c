// The web application in a real headless Chromium: the coordinator's tour and an agency user
// refused another unit's page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startBrowser, withPage, signIn } from './harness.mjs';

let app;
let browser;

before(async () => {
  app = await startApp();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  app?.stop();
});

test('coordinator: dashboard, languages, search, edit a head of agency, see the audit record', async () => {
  await withPage(browser, 'coordinator tour', async (page) => {
    await signIn(page, app.base, 'sonoivu', 'bacgiang-coordinator');
    assert.equal(new URL(page.url()).pathname, '/');
    const total = await page.locator('#tile-total .big').innerText();
    assert.equal(total.trim(), '85,58');
    const rank = await page.locator('#tile-rank .big').innerText();
    assert.equal(rank.trim(), '13/63');
    assert.match(await page.locator('#tile-target').innerText(), /\+0,16/);
    assert.match(await page.locator('#areas').innerText(), /Cải cách tài chính công[\s\S]*58[\s\S]*nhóm 20/);
    // The plan's indicators with their status (2020 disbursement 80,78 % against 100 %).
    const indicators = await page.locator('#indicators-summary').innerText();
    assert.match(indicators, /Tỷ lệ giải ngân vốn ngân sách nhà nước[^\n]*80,78/);
    assert.match(indicators, /Tỷ lệ thực hiện kiến nghị kiểm toán[^\n]*87,26/);
    assert.match(indicators, /Không đạt|Có nguy cơ|Chưa có số liệu|Đạt/);

    // English and back.
    await Promise.all([page.waitForNavigation(), page.click('#lang-switch')]);
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal((await page.locator('#tile-total .big').innerText()).trim(), '85.58');
    assert.match(await page.locator('h1').innerText(), /PAR Index overview/);
    await Promise.all([page.waitForNavigation(), page.click('#lang-switch')]);
    assert.equal(await page.getAttribute('html', 'lang'), 'vi');

    // Search a unit without diacritics.
    await page.goto(`${app.base}/units`);
    await page.fill('#q', 'so tu phap');
    await Promise.all([page.waitForNavigation(), page.press('#q', 'Enter')]);
    const rows = page.locator('#units-table tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /Sở Tư pháp/);

    // Edit its head of agency with the keyboard.
    await Promise.all([page.waitForNavigation(), rows.first().locator('a').click()]);
    await page.fill('#head_name', 'Nguyễn Thị Kiểm Thử');
    await page.fill('#head_title', 'Giám đốc');
    await Promise.all([page.waitForNavigation(), page.press('#head_title', 'Enter')]);
    assert.match(await page.locator('#units-table').innerText(), /Nguyễn Thị Kiểm Thử/);

    // The audit record in words: who by name, what was done to which kind of record, the
    // changed field before → after (no login, no JSON).
    await page.goto(`${app.base}/audit?unit=so-tu-phap`);
    const audit = await page.locator('#audit-table').innerText();
    assert.match(audit, /Chuyên viên Sở Nội vụ/);
    assert.match(audit, /Sửa đơn vị/);
    assert.match(audit, /Người đứng đầu: (.*→ )?Nguyễn Thị Kiểm Thử/);
    assert.doesNotMatch(audit, /sonoivu|\{"/);
  });
});

test('agency user: own unit yes, another unit refused', async () => {
  await withPage(browser, 'agency refused', async (page) => {
    await signIn(page, app.base, 'sotuphap', 'bacgiang-agency');
    const own = await page.goto(`${app.base}/units/so-tu-phap`);
    assert.equal(own.status(), 200);
    const other = await page.goto(`${app.base}/units/so-noi-vu`);
    assert.equal(other.status(), 403);
    assert.match(await page.locator('main').innerText(), /không có quyền/);
    const users = await page.goto(`${app.base}/users`);
    assert.equal(users.status(), 403);
  });
});

test('the gap page shows the points to the top 10', async () => {
  await withPage(browser, 'gap', async (page) => {
    await signIn(page, app.base, 'lanhdao', 'bacgiang-leader');
    await page.goto(`${app.base}/gap?edition=par-2020-province&subject=bac-giang&target=10`);
    assert.match(await page.locator('main').innerText(), /0,16/);
  });
});

test('works on a phone-sized screen', async () => {
  await withPage(browser, 'phone', async (page) => {
    await signIn(page, app.base, 'lanhdao', 'bacgiang-leader');
    assert.equal((await page.locator('#tile-total .big').innerText()).trim(), '85,58');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await page.goto(`${app.base}/units`);
    assert.ok(await page.locator('#units-table').isVisible());
  }, { width: 390, height: 844 });
});

test("agency's home: its own overdue tasks, a click away from exactly that list", async () => {
  await withPage(browser, 'agency home', async (page) => {
    await signIn(page, app.base, 'sotuphap', 'bacgiang-agency');
    const figure = page.locator('#tile-overdue a.big');
    const n = Number((await figure.innerText()).trim());
    assert.ok(n > 0, `overdue tasks of Sở Tư pháp: ${n}`);
    assert.match(await page.locator('#tile-overdue').innerText(), /nhiệm vụ của đơn vị/);
    await figure.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/board\?status=overdue/);
    const units = await page.locator('#board-table tbody tr td:nth-child(2)').allInnerTexts();
    assert.equal(units.length, n);
    assert.ok(units.every((u) => u.trim() === 'Sở Tư pháp'), units.join(', '));
  });
});
