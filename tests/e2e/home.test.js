// SPDX-License-Identifier: ISC
// Browser test: the public home page in Japanese and English — language
// switch, security headers, stylesheet applied, keyboard reachability —
// with screenshots kept as artefacts.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, launch, screenshot } = require('./lib');

test('home page, ja and en, in headless chromium', async () => {
  const srv = await startServer();
  const browser = await launch();
  try {
    // A Japanese traveller's browser: Accept-Language ja.
    const page = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    const resp = await page.goto(srv.url + '/');
    assert.strictEqual(resp.status(), 200);
    const h = resp.headers();
    assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
    assert.strictEqual(h['x-content-type-options'], 'nosniff');
    assert.ok(h['x-request-id'] && h['x-request-id'].length === 32);
    assert.strictEqual(await page.getAttribute('html', 'lang'), 'ja');
    assert.match(await page.title(), /海外WiFiレンタル/);
    // The stylesheet loaded (CSP allows 'self') and styles the page.
    const font = await page.evaluate(() => getComputedStyle(document.body).margin);
    assert.strictEqual(font, '0px');
    await screenshot(page, 'home-ja');

    // Switch to English with the keyboard: Tab to the link, Enter.
    const en = page.locator('a[hreflang="en"]');
    await en.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/lang=en/);
    assert.strictEqual(await page.getAttribute('html', 'lang'), 'en');
    assert.doesNotMatch(await page.textContent('main'), /空港/);
    await screenshot(page, 'home-en');

    // No console errors (a CSP violation would show here).
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.reload();
    assert.deepStrictEqual(errors, []);
  } finally {
    await browser.close();
    await srv.stop();
  }
});
