// SPDX-License-Identifier: ISC
// Browser test: "my order" after ordering — change the dates (a later return
// date: new return date, higher total, an order_changed mail), then cancel
// (the fee shown first, status cancelled, an order_cancelled mail, no more
// change/cancel links).  Steps in Japanese and in English; a second order
// that leaves in two days cannot be changed and costs a fee to cancel.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const {
  startServer, launch, screenshot, isoDate, waitMail, mailFiles, placeFromReview,
} = require('./lib');

const yen = (s) => Number(s.replace(/[¥,\s]/g, ''));

// Fills the public order form, reviews and places the order; returns
// { number, total } from the done page.
async function placeOrder(page, base, o) {
  await page.goto(base + 'order?plan=' + o.plan);
  await page.fill('#f-depart', o.depart);
  await page.fill('#f-return', o.ret);
  for (const opt of o.opts || []) await page.check('input[name=opt][value=' + opt + ']');
  await page.selectOption('#f-pickup_counter', o.counter);
  await page.selectOption('#f-return_counter', o.counter);
  await page.fill('#f-name', o.name);
  await page.fill('#f-kana', o.kana);
  await page.fill('#f-email', o.email);
  await page.fill('#f-phone', '090-1234-5678');
  await Promise.all([page.waitForSelector('button#place'),
    page.click('main form[method=post] button[type=submit]')]);
  const { number } = await placeFromReview(page);
  return {
    number,
    total: (await page.textContent('p:has(#status)')).match(/¥[\d,]+/)[0],
  };
}

test('change the dates, then cancel; ja and en', async () => {
  const srv = await startServer();
  const browser = await launch();
  const errors = [];
  const onConsole = (m) => {
    // The change form with a mistake answers 422 on purpose, and
    // changing a cancelled order 409.
    if (m.type() === 'error' && !/status of (422|409)\b/.test(m.text())) errors.push(m.text());
  };
  try {
    // --- Japanese: order, then change the return date.
    const ctx = await browser.newContext({ locale: 'ja-JP' });
    const page = await ctx.newPage();
    page.on('console', onConsole);
    const depart = isoDate(20);
    const ret = isoDate(27);
    const later = isoDate(30);
    const { number, total } = await placeOrder(page, srv.url + '/', {
      plan: 'KR-R-500M', depart, ret, counter: 'NRT2', opts: ['battery'],
      name: 'JIRO SUZUKI', kana: 'スズキ ジロウ', email: 'jiro@example.com',
    });
    assert.match(number, /^RP-[A-Z0-9]{8}$/);
    const confirmed = await waitMail(srv.dir, number, { kind: 'order_confirmed' });

    // My order: the button on the done page (the session set by ordering).
    await Promise.all([page.waitForURL(/\/my-order$/), page.click('main a.button[href="/my-order"]')]);
    assert.strictEqual((await page.textContent('#order-number')).trim(), number);
    assert.strictEqual((await page.textContent('#return')).trim(), ret);
    assert.strictEqual((await page.textContent('#total')).trim(), total);
    assert.strictEqual(await page.locator('a#change').count(), 1);
    assert.strictEqual(await page.locator('a#cancel').count(), 1);
    await screenshot(page, 'change-01-my-order-ja');

    // Change: first a mistake (return before departure) → 422 beside the field.
    await Promise.all([page.waitForURL(/\/my-order\/change$/), page.click('a#change')]);
    assert.strictEqual(await page.textContent('h1'), 'ご注文の変更');
    assert.strictEqual(await page.inputValue('#f-depart'), depart);
    assert.strictEqual(await page.inputValue('#f-return'), ret);
    assert.ok(await page.isChecked('input[name=opt][value=battery]'), 'the option is kept');
    await page.fill('#f-return', isoDate(18));
    const [bad] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/my-order/change')),
      page.click('main form button[type=submit]'),
    ]);
    assert.strictEqual(bad.status(), 422);
    await page.waitForSelector('#f-return-err'); // the answer page is shown
    assert.strictEqual(await page.getAttribute('#f-return', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#f-return-err'), /帰国日は出発日以降/);
    assert.strictEqual(await page.inputValue('#f-return'), isoDate(18));
    await screenshot(page, 'change-02-change-error-ja');
    // A later return date.
    await page.fill('#f-return', later);
    await screenshot(page, 'change-03-change-ja');
    await Promise.all([page.waitForURL(/\/my-order\?changed=1$/), page.click('main form button[type=submit]')]);
    assert.match(await page.textContent('p.notice'), /ご注文を変更しました/);
    assert.strictEqual((await page.textContent('#return')).trim(), later);
    assert.strictEqual((await page.textContent('#depart')).trim(), depart);
    const newTotal = (await page.textContent('#total')).trim();
    assert.ok(yen(newTotal) > yen(total), 'three more days cost more: ' + total + ' → ' + newTotal);
    await screenshot(page, 'change-04-changed-ja');

    // The order_changed mail (in the order's language, Japanese).
    const changed = await waitMail(srv.dir, number, { kind: 'order_changed' });
    assert.match(changed.subject, /ご注文内容を変更しました/);
    assert.ok(changed.subject.includes(number));
    assert.ok(changed.body.includes(later), 'mail has the new return date');
    assert.ok(changed.body.includes(newTotal.replace('¥', '') + ' 円'), 'mail has the new total');
    assert.ok(changed.link && changed.link.startsWith(srv.url + '/my-order/open?t='));
    assert.notStrictEqual(changed.link, confirmed.link, 'a fresh link');

    // --- English: cancel.  The fee first (free this far ahead).
    await page.goto(srv.url + '/my-order/cancel?lang=en');
    assert.strictEqual(await page.getAttribute('html', 'lang'), 'en');
    assert.strictEqual(await page.textContent('h1'), 'Cancel your order');
    assert.strictEqual((await page.textContent('#fee')).trim(), '¥0');
    assert.match(await page.textContent('main'), /There is no cancellation fee now/);
    await screenshot(page, 'change-05-cancel-en');
    await Promise.all([page.waitForURL(/\/my-order\?cancelled=1$/), page.click('button#confirm-cancel')]);
    assert.strictEqual((await page.textContent('#status')).trim(), 'Cancelled');
    assert.match(await page.textContent('p.notice'), /Your order has been cancelled/);
    assert.strictEqual(await page.locator('a#change').count(), 0, 'no change link after cancelling');
    assert.strictEqual(await page.locator('a#cancel').count(), 0, 'no cancel link after cancelling');
    assert.strictEqual(await page.locator('a#receipt').count(), 1);
    await screenshot(page, 'change-06-cancelled-en');
    // Back in Japanese: キャンセル済み.
    await page.goto(srv.url + '/my-order?lang=ja');
    assert.strictEqual((await page.textContent('#status')).trim(), 'キャンセル済み');
    assert.strictEqual(await page.locator('a#change, a#cancel').count(), 0);
    await screenshot(page, 'change-07-cancelled-ja');
    // The cancel and change pages are closed now.
    await page.goto(srv.url + '/my-order/cancel');
    assert.strictEqual(await page.locator('button#confirm-cancel').count(), 0);
    assert.match(await page.textContent('main'), /このご注文はキャンセルできません/);
    // (GET my-order/change still shows the form for a cancelled order;
    // sending it is refused and changes nothing.)
    await page.goto(srv.url + '/my-order/change');
    if (await page.locator('main form button[type=submit]').count() > 0) {
      await page.fill('#f-return', isoDate(31));
      const [refused] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/my-order/change')),
        page.click('main form button[type=submit]'),
      ]);
      assert.strictEqual(refused.status(), 409);
      await page.waitForSelector('main p.errors');
    }
    assert.match(await page.textContent('main'), /このご注文はオンラインでは変更できません/);
    await page.goto(srv.url + '/my-order');
    assert.strictEqual((await page.textContent('#return')).trim(), later);
    assert.strictEqual((await page.textContent('#status')).trim(), 'キャンセル済み');

    const cancelled = await waitMail(srv.dir, number, { kind: 'order_cancelled' });
    assert.match(cancelled.subject, /ご注文をキャンセルしました/);
    assert.ok(cancelled.body.includes(number));
    assert.match(cancelled.body, /キャンセル料: 0 円/);
    assert.strictEqual(mailFiles(srv.dir, number, 'order_cancelled').length, 1);
    assert.strictEqual(mailFiles(srv.dir, number, 'order_changed').length, 1,
      'the refused change sent no mail');

    // --- English order leaving in two days: too late to change online,
    // and cancelling costs the whole rental (fee shown before confirming).
    const ctxEn = await browser.newContext({ locale: 'en-US' });
    const pe = await ctxEn.newPage();
    pe.on('console', onConsole);
    const soon = await placeOrder(pe, srv.url + '/', {
      plan: 'KR-S-1G', depart: isoDate(2), ret: isoDate(5), counter: 'HND3',
      name: 'EMMA BROWN', kana: 'ブラウン エマ', email: 'emma@example.com',
    });
    await Promise.all([pe.waitForURL(/\/my-order$/), pe.click('main a.button[href="/my-order"]')]);
    assert.strictEqual((await pe.textContent('#order-number')).trim(), soon.number);
    assert.strictEqual(await pe.locator('a#change').count(), 0, 'no change link 2 days before');
    assert.match(await pe.textContent('main'), /can no longer be changed online/);
    assert.strictEqual(await pe.locator('a#cancel').count(), 1);
    await Promise.all([pe.waitForURL(/\/my-order\/cancel$/), pe.click('a#cancel')]);
    const fee = (await pe.textContent('#fee')).trim();
    assert.ok(yen(fee) > 0, 'a fee this close to departure: ' + fee);
    assert.ok(yen(fee) <= yen(soon.total), 'fee ' + fee + ' ≤ total ' + soon.total);
    await screenshot(pe, 'change-08-cancel-fee-en');
    await Promise.all([pe.waitForURL(/\/my-order\?cancelled=1$/), pe.click('button#confirm-cancel')]);
    assert.strictEqual((await pe.textContent('#status')).trim(), 'Cancelled');
    assert.strictEqual(await pe.locator('a#change, a#cancel').count(), 0);
    await screenshot(pe, 'change-09-cancelled-en');
    const mailEn = await waitMail(srv.dir, soon.number, { kind: 'order_cancelled' });
    assert.strictEqual(mailEn.subject, '[rentport] Your order ' + soon.number + ' is cancelled');
    assert.ok(mailEn.body.includes('Cancellation fee: JPY ' + fee.replace('¥', '')),
      'mail states the fee shown: ' + fee);

    assert.deepStrictEqual(errors, []);
  } finally {
    await browser.close();
    await srv.stop();
  }
});
