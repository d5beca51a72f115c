// Self-assessment → appraisal → publication in a real headless Chromium, on the demo's SAMPLE
// cycle, the demo's clock moving on as the cycle does (the server started again on the same
// database with a later --as-of: the demo takes the history that came due in between):
// - 20/12/2021, before the departments' self-scoring deadline (30/12/2021): Sở Tư pháp
//   self-scores with evidence (a renamed program is refused), explains and submits;
// - 20/01/2022, the other departments appraised on 18/01 (appraisal round 1 open until 21/01):
//   the appraiser appraises Sở Tư pháp; the coordinator publishes;
// - 26/02/2022, the districts' 2021 ranking published on 25/02: the rankings of departments and
//   of districts show classes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startBrowser, withPage, signIn } from './harness.mjs';

const ROUND = 'mau-so-nganh-2021';
const UNIT = `/assessments/${ROUND}/units/so-tu-phap`;

let app;
let browser;

/** Start the demo again on the same database, its clock set to `day`. */
async function moveClockTo(day) {
  const dir = app.dir;
  await app.stop();
  app = await startApp(['--as-of', day], { dir });
}

before(async () => {
  app = await startApp(['--as-of', '2021-12-20']);
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

test('a department self-scores with evidence, the appraiser appraises, the coordinator publishes', async () => {
  await withPage(browser, 'assessment self-score', async (page) => {
    await signIn(page, app.base, 'sotuphap', 'bacgiang-agency');
    await page.goto(`${app.base}/assessments`);
    assert.match(await page.locator(`#round-${ROUND}`).innerText(), /MẪU/);
    await Promise.all([page.waitForNavigation(), page.locator(`#round-${ROUND} a.own-unit`).click()]);
    assert.equal(new URL(page.url()).pathname, UNIT);
    assert.match(await page.locator('#stage-self_scoring').textContent(), /30\/12\/2021/);

    // Every self-scored item: the best answer, full points, full rates; counts of penalties 0.
    for (const sel of await page.locator('#self-form select[name^="in."]').all()) {
      const values = await sel.locator('option').evaluateAll((os) => os.map((o) => o.value).filter((v) => v));
      await sel.selectOption(values.includes('yes') ? 'yes' : values[0]);
    }
    for (const input of await page.locator('#self-form input[name^="in."]').all()) {
      const kind = await input.getAttribute('data-kind');
      const max = await input.getAttribute('data-max');
      await input.fill(kind === 'number' ? '100' : kind === 'count' ? '0' : max.replace('.', ','));
    }
    // A score over the max is refused beside its field, nothing saved.
    await page.fill('#in-1-3', '4');
    await Promise.all([page.waitForNavigation(), page.click('#save-button')]);
    assert.match(await page.locator('#in-1-3-err').innerText(), /vượt quá/);
    assert.match(await page.locator('#self-total').innerText(), /^0,00 \//);
    await page.fill('#in-1-3', '3');
    await Promise.all([page.waitForNavigation(), page.click('#save-button')]);
    assert.match(await page.locator('.flash').innerText(), /Đã lưu/);
    assert.equal((await page.locator('#score-1-1-1').innerText()).trim(), '2,00');

    // Evidence for 1.1.1: a program renamed .pdf is refused; a real PDF is stored.
    await Promise.all([page.waitForNavigation(), page.click('#evidence-1-1-1')]);
    await page.setInputFiles('#file', { name: 'ke-hoach.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ\x90\x00\x03\x00\x00\x00 not a pdf') });
    await Promise.all([page.waitForNavigation(), page.click('#upload-button')]);
    assert.match(await page.locator('#file-err').innerText(), /không phải tài liệu được chấp nhận/);
    await page.setInputFiles('#file', { name: 'Kế hoạch CCHC 2021.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n') });
    await page.fill('#upload-title', 'Kế hoạch CCHC năm 2021 của Sở Tư pháp');
    await Promise.all([page.waitForNavigation(), page.click('#upload-button')]);
    assert.match(await page.locator('.flash').innerText(), /Đã tải lên/);
    assert.match(await page.locator('#evidence-list').innerText(), /Kế hoạch CCHC năm 2021 của Sở Tư pháp/);
    const href = await page.locator('#evidence-list a.evidence-file').first().getAttribute('href');
    const download = await page.request.get(`${app.base}${href}`);
    assert.equal(download.status(), 200);
    assert.match(download.headers()['content-disposition'], /filename\*=UTF-8''K%E1%BA%BF/);

    // Explain the other items that lack their required evidence, then submit.
    await page.goto(`${app.base}${UNIT}`);
    for (const ex of await page.locator('#self-form textarea[aria-invalid="true"]').all()) {
      await ex.fill('Văn bản đang lưu bản giấy, sẽ bổ sung bản điện tử.');
    }
    await Promise.all([page.waitForNavigation(), page.click('#save-button')]);
    await Promise.all([page.waitForNavigation(), page.click('#submit-button')]);
    assert.match(await page.locator('.flash').innerText(), /Đã nộp/);
    assert.match(await page.locator('#submitted').innerText(), /20\/12\/2021/);
    assert.match(await page.locator('#as-of-clock').innerText(), /20\/12\/2021/, 'the header shows the clock');
  });

  // Before round 1 of the appraisal is dated, no department is appraised yet.
  await withPage(browser, 'assessment not yet appraised', async (page) => {
    await signIn(page, app.base, 'sonoivu', 'bacgiang-coordinator');
    await page.goto(`${app.base}/assessments/${ROUND}/publish`);
    assert.equal(await page.locator('#blockers').count(), 1, 'on 20/12/2021 nothing is appraised yet');
  });

  await moveClockTo('2022-01-20');

  await withPage(browser, 'assessment appraise', async (page) => {
    await signIn(page, app.base, 'thamdinh', 'bacgiang-appraiser');
    await page.goto(`${app.base}${UNIT}/appraise`);
    assert.match(await page.locator('#row-1-1-1').innerText(), /Kế hoạch CCHC năm 2021 của Sở Tư pháp/);
    await page.fill('#a1-1-3', '2');
    await page.fill('#c1-1-3', 'Thiếu biên bản kiểm tra một đơn vị');
    await page.fill('#a1-2-5', '6,5');
    await page.fill('#a1-3-4', '4');
    await page.check('#accept-rest');
    await Promise.all([page.waitForNavigation(), page.click('#appraise-button')]);
    assert.match(await page.locator('.flash').innerText(), /Đã lưu kết quả thẩm định/);
    assert.match(await page.locator('#final-total').innerText(), /^96,50 \/ 100,00/);
  });

  await withPage(browser, 'assessment publish', async (page) => {
    await signIn(page, app.base, 'sonoivu', 'bacgiang-coordinator');
    await page.goto(`${app.base}/assessments/${ROUND}/publish`);
    assert.equal(await page.locator('#blockers').count(), 0, 'every unit is appraised');
    await Promise.all([page.waitForNavigation(), page.click('#publish-button')]);
    assert.match(await page.locator('#publish-error').innerText(), /xác nhận/);
    await page.check('#publish-confirm');
    await Promise.all([page.waitForNavigation(), page.click('#publish-button')]);
    assert.equal(new URL(page.url()).pathname, `/rankings/${ROUND}`);
    assert.match(await page.locator('.flash').innerText(), /Đã công bố/);
    assert.match(await page.locator('#sample-note').innerText(), /MẪU/);
    const row = await page.locator('#rank-so-tu-phap').innerText();
    assert.match(row, /Sở Tư pháp/);
    assert.match(row, /96,50 \/ 100,00/);
    assert.match(row, /Tốt/);
    assert.match(row, /bậc/, 'the change since the 2020 ranking');
    assert.match(await page.locator('#ranking-table').innerText(), /Khá|Trung bình|Yếu/);
  });

  await moveClockTo('2022-02-26');

  await withPage(browser, 'assessment rankings', async (page) => {
    await signIn(page, app.base, 'lanhdao', 'bacgiang-leader');
    await page.goto(`${app.base}/rankings`);
    const list = await page.locator('#rankings-table').innerText();
    assert.match(list, /sở, ban, ngành năm 2021/);
    assert.match(list, /huyện, thành phố năm 2021/);
    await page.goto(`${app.base}/rankings/mau-huyen-2021`);
    const table = await page.locator('#ranking-table').innerText();
    assert.match(table, /Tốt/);
    assert.match(table, /Khá/);
    assert.match(table, /Trung bình/);
    assert.match(table, /Yếu/);
    // Ties share a rank: two districts at 4.
    const ranks = await page.locator('#ranking-table tbody tr td:first-child').allInnerTexts();
    assert.equal(ranks.filter((r) => r.trim() === '4').length, 2);
  });
});
