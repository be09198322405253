// SPDX-License-Identifier: ISC
// Browser test: corporate sites in English.  shinonome-shoji (invoice
// billing): an order with department, employee number and cost centre,
// billed by invoice, is confirmed at once; the e-mail is in English and its
// link opens the order.  The same site by host name
// (shinonome-shoji.localhost).  mizunagi-pharma: the access-code gate.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const {
  startServer, launch, screenshot, isoDate, tabTo, waitMail, placeFromReview,
} = require('./lib');

const DEPART = isoDate(20);
const RETURN = isoDate(27);
const TENANT = '株式会社しののめ商事';

test('corporate sites in English: invoice order, host name, access code', async () => {
  const srv = await startServer();
  const browser = await launch();
  const errors = [];
  const onConsole = (m) => {
    // The wrong access code answers 403 on purpose.
    if (m.type() === 'error' && !/status of 403\b/.test(m.text())) errors.push(m.text());
  };
  try {
    const ctx = await browser.newContext({ locale: 'en-US' });
    const page = await ctx.newPage();
    page.on('console', onConsole);
    const home = srv.url + '/c/shinonome-shoji/';

    // Home: the tenant's name, in English around it.
    await page.goto(home);
    assert.strictEqual(await page.getAttribute('html', 'lang'), 'en');
    assert.strictEqual((await page.textContent('h1')).trim(), TENANT);
    await screenshot(page, 'corporate-01-home-en');
    await Promise.all([page.waitForURL(/\/c\/shinonome-shoji\/plans$/),
      page.click('main a.button[href="/c/shinonome-shoji/plans"]')]);
    await page.selectOption('#f-destination', 'US');
    await Promise.all([page.waitForURL(/destination=US/), page.click('form.filters button[type=submit]')]);
    assert.ok((await page.locator('table.plans tbody th').allTextContents())
      .every((d) => d === 'United States'));
    assert.match(await page.textContent('table.plans'), /Corporate price/);
    await screenshot(page, 'corporate-02-plans-en');
    await Promise.all([page.waitForURL(/\/c\/shinonome-shoji\/order\?plan=US-S-1G$/),
      page.click('a.choose[href="/c/shinonome-shoji/order?plan=US-S-1G"]')]);
    assert.strictEqual(await page.textContent('h1'), 'Order form');

    // The order form with the company's fields; invoice is offered.
    assert.strictEqual(await page.inputValue('#f-plan'), 'US-S-1G');
    await page.fill('#f-depart', DEPART);
    await page.fill('#f-return', RETURN);
    await page.check('input[name=opt][value=insurance_light]');
    await page.selectOption('#f-pickup_counter', 'HND3');
    await page.selectOption('#f-return_counter', 'HND3');
    await page.fill('#f-name', 'HANAKO SATO');
    await page.fill('#f-kana', 'サトウ ハナコ');
    await page.fill('#f-email', 'hanako.sato@shinonome-shoji.example');
    await page.fill('#f-phone', '+81-90-2345-6789');
    await page.fill('#f-department', 'Overseas Sales');
    await page.fill('#f-employee_no', 'E-104233');
    await page.fill('#f-cost_centre', 'CC-4410');
    await page.check('input[name=billing][value=invoice]');
    await screenshot(page, 'corporate-03-order-form');
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' &&
        r.url().endsWith('/c/shinonome-shoji/order') && r.status() === 200),
      page.click('main form[action="/c/shinonome-shoji/order"] button[type=submit]'),
    ]);
    await page.waitForSelector('button#place'); // the review page is shown

    // Review.
    assert.strictEqual(await page.textContent('h1'), 'Check your order');
    const total = (await page.textContent('#total')).trim();
    assert.match(total, /^¥[1-9][\d,]*$/);
    const summary = await page.textContent('dl.summary');
    for (const s of ['HANAKO SATO', 'Overseas Sales', 'E-104233', 'CC-4410', 'Monthly invoice'])
      assert.ok(summary.includes(s), 'review shows ' + s);
    assert.strictEqual(await page.locator('p.notice').count(), 0, 'no card note for invoice');
    await screenshot(page, 'corporate-04-review-en');

    // Place → done, confirmed at once (invoice).
    const { number, payPage } = await placeFromReview(page);
    assert.strictEqual(payPage, false, 'no card step for an invoice order');
    assert.match(page.url(), /\/c\/shinonome-shoji\/order\/done$/);
    assert.match(number, /^RP-[A-Z0-9]{8}$/);
    assert.strictEqual((await page.textContent('#status')).trim(), 'Confirmed');
    assert.ok((await page.textContent('main')).includes(total));
    await screenshot(page, 'corporate-05-done-en');

    // The e-mail, in English.
    const mail = await waitMail(srv.dir, number, { kind: 'order_confirmed', timeout: 15000 });
    assert.strictEqual(mail.subject, '[rentport] Your order ' + number + ' is confirmed');
    assert.match(mail.body, /^Dear HANAKO SATO,/m);
    assert.match(mail.body, /Thank you for choosing rentport/);
    assert.ok(mail.body.includes(number));
    assert.ok(mail.body.includes(total.replace('¥', '')), 'body has the total');
    assert.doesNotMatch(mail.body, /[\u3040-\u309f]/, 'no Japanese (hiragana) in the English mail');
    assert.ok(mail.link && mail.link.startsWith(srv.url + '/c/shinonome-shoji/my-order/open?t='),
      'link to this corporate site: ' + mail.link);

    // My order, from the link, in a browser with no cookies.
    const ctx2 = await browser.newContext({ locale: 'en-US' });
    const p2 = await ctx2.newPage();
    p2.on('console', onConsole);
    await p2.goto(mail.link);
    assert.strictEqual(await p2.getAttribute('html', 'lang'), 'en');
    await Promise.all([p2.waitForURL(/\/c\/shinonome-shoji\/my-order$/), p2.click('button#open')]);
    assert.strictEqual((await p2.textContent('#order-number')).trim(), number);
    assert.strictEqual((await p2.textContent('#status')).trim(), 'Confirmed');
    assert.strictEqual((await p2.textContent('#name')).trim(), 'HANAKO SATO');
    assert.strictEqual((await p2.textContent('#total')).trim(), total);
    const mine = await p2.textContent('main');
    for (const s of ['E-104233', 'CC-4410', 'Overseas Sales', 'Monthly invoice'])
      assert.ok(mine.includes(s), 'my order shows ' + s);
    await screenshot(p2, 'corporate-06-my-order-en');

    // The same site by host name: Chromium resolves *.localhost to loopback.
    const byHost = 'http://shinonome-shoji.localhost:' + srv.port + '/';
    const r = await page.goto(byHost);
    assert.strictEqual(r.status(), 200);
    assert.strictEqual((await page.textContent('h1')).trim(), TENANT);
    assert.strictEqual(await page.getAttribute('main a.button', 'href'), '/plans');
    assert.strictEqual(await page.locator('link[rel=stylesheet][href="/brand.css"]').count(), 1);
    await page.click('main a.button');
    await page.waitForURL(byHost + 'plans');
    assert.match(await page.textContent('table.plans'), /Corporate price/);
    await screenshot(page, 'corporate-07-by-host');

    // mizunagi-pharma: a code is needed before anything else.
    const code = srv.logins.accessCode['mizunagi-pharma'];
    assert.match(code || '', /^\S{6,}$/, 'access code in demo-logins.txt');
    const mz = srv.url + '/c/mizunagi-pharma/';
    const ctx3 = await browser.newContext({ locale: 'en-US' });
    const p3 = await ctx3.newPage();
    p3.on('console', onConsole);
    await p3.goto(mz + 'plans');
    assert.strictEqual(p3.url(), mz, 'plans without the code → the home page with the gate');
    assert.strictEqual(await p3.locator('table.plans').count(), 0);
    assert.strictEqual(await p3.textContent('h2'), 'Access code');
    await screenshot(p3, 'corporate-08-gate');
    // A wrong code: 403, the error beside the field.
    await p3.fill('#f-code', 'WRONG' + code.slice(5).split('').reverse().join(''));
    const [bad] = await Promise.all([
      p3.waitForResponse((x) => x.request().method() === 'POST' && x.url().endsWith('/access')),
      p3.click('form[action="/c/mizunagi-pharma/access"] button[type=submit]'),
    ]);
    assert.strictEqual(bad.status(), 403);
    await p3.waitForSelector('#f-code-err');
    assert.strictEqual(await p3.getAttribute('#f-code', 'aria-invalid'), 'true');
    assert.strictEqual((await p3.textContent('#f-code-err')).trim(), 'This access code is not correct.');
    assert.strictEqual(await p3.locator('table.plans').count(), 0);
    await screenshot(p3, 'corporate-09-gate-wrong');
    // The right code, keyboard only: Tab to the field, type, Enter.
    await tabTo(p3, '#f-code');
    await p3.keyboard.type(code);
    await Promise.all([p3.waitForURL(mz + 'plans'), p3.keyboard.press('Enter')]);
    assert.ok(await p3.locator('table.plans tbody tr').count() > 0, 'plans shown');
    await screenshot(p3, 'corporate-10-gate-passed');
    // The pass holds: the home page shows no gate now.
    await p3.goto(mz);
    assert.strictEqual(await p3.locator('#f-code').count(), 0);

    assert.deepStrictEqual(errors, []);
  } finally {
    await browser.close();
    await srv.stop();
  }
});
