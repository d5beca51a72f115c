// The dossier upload in a real headless Chromium: the coordinator checks a one-stop-shop export,
// imports the file just checked ("Nhập tệp này", without choosing it again) and sees the notice
// and the agency's rates; choosing a file and pressing "Nhập" still imports; a bad row is named
// by its line.
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

const HEADER = 'code,agency,procedure,level,online_level,received_at,due_at,result_at,closed_at,status\n';
// July 2021 for Sở Tư pháp: one early, one late, one pending past its due date.
const JULY = HEADER
  + 'E2E-EARLY,Sở Tư pháp,1.001,province,3,2021-07-01T08:00:00+07:00,2021-07-09,,2021-07-05T10:00:00+07:00,closed\n'
  + 'E2E-LATE,so-tu-phap,1.001,province,3,2021-07-02T08:00:00+07:00,2021-07-09,,2021-07-13T10:00:00+07:00,closed\n'
  + 'E2E-OPEN,so-tu-phap,1.002,province,4,2021-07-05T08:00:00+07:00,2021-07-20,,,processing\n';
// A due date before the day received at line 3.
const BAD = HEADER
  + 'E2E-A,so-tu-phap,1.001,province,3,2021-07-01T08:00:00+07:00,2021-07-09,,2021-07-05T10:00:00+07:00,closed\n'
  + 'E2E-B,so-tu-phap,1.001,province,3,2021-07-12T08:00:00+07:00,2021-07-09,,2021-07-13T10:00:00+07:00,closed\n';

const file = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });

test('coordinator: check and import a dossier export, then see the rates; a bad row is named', async () => {
  await withPage(browser, 'dossier upload', async (page) => {
    await signIn(page, app.base, 'sonoivu', 'bacgiang-coordinator');
    await page.goto(`${app.base}/dossiers`);
    assert.match(await page.locator('#import-title').innerText(), /Nhập dữ liệu hồ sơ/);

    // Check with the keyboard: nothing is saved, the summary is shown.
    await page.setInputFiles('#dossier-file', file('thang-7.csv', JULY));
    await page.fill('#as-of', '2021-08-15');
    await page.locator('#dossier-check-button').focus();
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    const check = await page.locator('#dossier-check').innerText();
    assert.match(check, /chưa lưu gì/);
    assert.equal((await page.locator('#check-rows').innerText()).trim(), '3');
    assert.equal((await page.locator('#check-late').innerText()).trim(), '1');
    assert.equal((await page.locator('#check-pending-overdue').innerText()).trim(), '1');
    assert.equal(await page.inputValue('#as-of'), '2021-08-15', 'the form keeps what was typed');

    // Import the file just checked, without choosing it again.
    assert.equal(await page.locator('#dossier-staged-button').innerText(), 'Nhập tệp này');
    assert.match(await page.locator('#staged-hint').innerText(), /không cần tải lên lại/);
    await Promise.all([page.waitForNavigation(), page.click('#dossier-staged-button')]);
    assert.match(new URL(page.url()).search, /^\?import=\d+$/);
    assert.match(await page.locator('.flash').innerText(),
      /Đã nhập thang-7\.csv: 3 hồ sơ, 1 ô cơ quan × tháng \(2021-07\); 1 hồ sơ đã kết thúc quá hạn và 1 hồ sơ chưa kết thúc quá hạn tính đến 15\/08\/2021\./);

    // Choosing the file and pressing "Nhập" imports too (the month is replaced, not added to).
    await page.setInputFiles('#dossier-file', file('thang-7.csv', JULY));
    await page.fill('#as-of', '2021-08-15');
    await Promise.all([page.waitForNavigation(), page.click('#dossier-import-button')]);
    assert.match(new URL(page.url()).search, /^\?import=\d+$/);
    assert.match(await page.locator('.flash').innerText(), /Đã nhập thang-7\.csv: 3 hồ sơ/);

    // The month's rates, and the late dossiers on the agency's list.
    await page.selectOption('#month', '2021-07');
    await Promise.all([page.waitForNavigation(), page.click('form.searchbar button')]);
    const row = await page.locator('#agency-so-tu-phap').innerText();
    assert.match(row, /Sở Tư pháp\s+3\s+2\s+1\s+0\s+1\s+1\s+1/);
    await Promise.all([page.waitForNavigation(), page.locator('#agency-so-tu-phap a').click()]);
    const list = await page.locator('main').innerText();
    assert.match(list, /E2E-LATE/);
    assert.match(list, /E2E-OPEN/);

    // A bad row: named by its line, nothing saved.
    await page.goto(`${app.base}/dossiers`);
    await page.setInputFiles('#dossier-file', file('sai.csv', BAD));
    await Promise.all([page.waitForNavigation(), page.click('#dossier-import-button')]);
    const error = await page.locator('#upload-error').innerText();
    assert.match(error, /Tệp sai\.csv có 1 dòng lỗi; không lưu gì\./);
    assert.match(await page.locator('#bad-rows tbody tr').first().innerText(), /^3\s+due_at\s+Ngày hẹn trả trước ngày tiếp nhận\./);
  });
});

test('an agency user sees the rates but no upload form', async () => {
  await withPage(browser, 'agency no upload', async (page) => {
    await signIn(page, app.base, 'sotuphap', 'bacgiang-agency');
    await page.goto(`${app.base}/dossiers`);
    assert.equal(await page.locator('#dossier-rates').count(), 1);
    assert.equal(await page.locator('#dossier-upload').count(), 0);
  });
});
