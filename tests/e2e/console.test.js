// SPDX-License-Identifier: ISC
// Browser test: the staff console (its own listener) in Japanese and
// English — sign-in with password and the authenticator's code (made
// with oathtool from the demo logins' TOTP secrets), a wrong code's one
// message, the first sign-in's enrolment with the QR code, the role's
// home, the sessions list and sign-out — with screenshots kept.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { startServer, launch, screenshot, readLogins, totp } = require('./lib');


test('staff console sign-in, ja and en, in headless chromium', async () => {
  const srv = await startServer();
  const browser = await launch();
  const L = readLogins(srv.dir).staff;
  const base = 'http://127.0.0.1:' + srv.ports['--console-port'];
  try {
    // Japanese: the back office signs in with password + code.
    const ja = await (await browser.newContext({ locale: 'ja-JP' })).newPage();
    const errors = [];
    ja.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    let resp = await ja.goto(base + '/');
    assert.match(ja.url(), /\/sign-in$/, 'no session: the sign-in page');
    assert.strictEqual(await ja.getAttribute('html', 'lang'), 'ja');
    assert.match(await ja.textContent('h1'), /サインイン/);
    // a wrong code: the one message, no hint which field
    await ja.fill('#user', 'backoffice');
    await ja.fill('#password', L.backoffice.password);
    await ja.fill('#code', '000000');
    await ja.click('#sign-in');
    assert.match(await ja.textContent('#failed'), /いずれかが正しくありません/);
    await screenshot(ja, 'console-signin-failed-ja');
    await ja.fill('#password', L.backoffice.password);
    await ja.fill('#code', totp(L.backoffice.secret));
    await ja.click('#sign-in');
    await ja.waitForURL(/\/backoffice$/);
    assert.match(await ja.textContent('#home-title'), /バックオフィス/);
    assert.match(await ja.textContent('#who'), /backoffice/);
    await screenshot(ja, 'console-home-ja');
    await ja.click('a[href="/sessions"]');
    assert.ok(await ja.locator('#sessions tbody tr').count() >= 1, 'its session is listed');
    await screenshot(ja, 'console-sessions-ja');
    await ja.click('#sign-out');
    await ja.waitForURL(/\/sign-in$/);
    resp = await ja.goto(base + '/backoffice');
    assert.match(ja.url(), /\/sign-in$/, 'signed out: back to the sign-in page');
    // (the wrong code's page is a 401, which chromium reports too)
    assert.deepStrictEqual(errors.filter((e) => !/status of 401/.test(e)), [],
      'no console errors (CSP)');

    // English: a client administrator's first sign-in enrols with the QR code.
    const en = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    await en.goto(base + '/sign-in?lang=en');
    assert.strictEqual(await en.getAttribute('html', 'lang'), 'en');
    const admin = L['admin-shinonome-shoji'];
    await en.fill('#user', 'admin-shinonome-shoji');
    await en.fill('#password', admin.password);
    await en.click('#sign-in');
    await en.waitForSelector('#qr');
    assert.match(await en.textContent('h1'), /authenticator/i);
    assert.strictEqual(await en.textContent('#secret'), admin.secret);
    const box = await en.locator('#qr').boundingBox();
    assert.ok(box && box.width >= 200, 'the QR code is drawn');
    await screenshot(en, 'console-enrol-en');
    await en.fill('#code', totp(admin.secret));
    await en.click('#enrol');
    await en.waitForURL(/\/client\/shinonome-shoji$/);
    assert.match(await en.textContent('#home-title'), /Client administration/);
    await screenshot(en, 'console-home-en');
    // another client's page: 403
    resp = await en.goto(base + '/client/seiso-eng');
    assert.strictEqual(resp.status(), 403);
    // the sites' port has no console
    resp = await en.goto(srv.url + '/sign-in');
    assert.strictEqual(resp.status(), 404);
  } finally {
    await browser.close();
    await srv.stop();
  }
});
