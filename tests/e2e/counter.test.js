// SPDX-License-Identifier: ISC
// Browser test: a day at the airport counter, in Japanese (NRT1) and in
// English (HND3), on the demo's counter day — the day's lists and the
// overdue list; pickup by serial; returns two days late with a damaged
// unit under each cover option (none, light, full) with the fees the
// policy gives; settlement at the counter terminal (paysim's simulated
// terminal is tapped) and by the card on file (a card order placed
// through the corporate API with the agent's token); a walk-in order
// found by the traveller's phone and e-mail, picked up, returned and
// settled at the counter — screenshots kept.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, launch, screenshot, isoDate, readLogins, totp } = require('./lib');

const yen = (s) => Number(String(s).replace(/[^0-9]/g, ''));

// A card order of a card-billed client through the corporate API: the
// card goes to the payment agent only (its token API), never to rentport.
async function cardOrder(srv, counter) {
  const pk = fs.readFileSync(path.join(srv.dir, 'paysim', 'publishable.key'), 'utf8').trim();
  const tok = await (await fetch('http://127.0.0.1:' + srv.ports['--paysim-port'] + '/v1/tokens', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + pk, 'Content-Type': 'application/json' },
    body: JSON.stringify({ number: '4242424242424242', exp_month: 12, exp_year: 2031, cvc: '123' }),
  })).json();
  const key = srv.logins.apiKey['seiso-eng'];
  const plans = await (await fetch(srv.url + '/api/v1/plans?destination=US', {
    headers: { Authorization: 'Bearer ' + key } })).json();
  const plan = (plans.plans.find((p) => p.device === 'router') || plans.plans[0]).code;
  const r = await fetch(srv.url + '/api/v1/orders', {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      plan, departure: isoDate(10), return: isoDate(12),
      pickup: { method: 'counter', counter }, dropoff: { method: 'counter', counter },
      traveller: { name: 'カード 花子', kana: 'カード ハナコ', email: 'hanako@seiso-eng.example', phone: '090-1111-2222' },
      billing: 'card', payment_token: tok.id,
    }),
  });
  const o = await r.json();
  assert.strictEqual(o.status, 'confirmed', 'the card order is authorized: ' + JSON.stringify(o));
  return o.number;
}

async function orderStatus(page) {
  return page.getAttribute('#status', 'data-status');
}

// Types q into the counter's search box (order number, phone or e-mail).
async function search(page, base, code, q) {
  await page.goto(base + '/counter/' + code);
  await page.fill('#q', q);
  await page.click('#search');
}

// Opens the order page of number (search by order number).
async function openOrder(page, base, code, number) {
  await search(page, base, code, number);
  await page.waitForURL(new RegExp('/orders/' + number + '$'));
}

async function pickup(page) {
  const serial = await page.getAttribute('#serials option', 'value');
  await page.fill('#serial', serial);
  await page.click('#pickup');
  await page.waitForSelector('#picked');
  assert.strictEqual(await orderStatus(page), 'picked_up');
  assert.ok(await page.locator('#units tr[data-serial="' + serial + '"]').count() === 1, 'the unit is bound');
  return serial;
}

// Takes serial back in condition cond and settles by method (card or
// terminal): the return's page, then the settlement's.
async function takeBackAndSettle(page, serial, cond, method) {
  await page.fill('#serial', serial);
  await page.check('#cond-' + cond);
  await page.click('#return');
  await page.waitForSelector('#returned');
  await page.click('#settle-' + method);
  await page.waitForSelector('#settled');
}

// Taps the visa test card on paysim's simulated terminal, then waits for
// paylink to settle the order.
async function payAtTerminal(browser, page) {
  const url = await page.getAttribute('#terminal', 'href');
  const back = page.url().replace(/\/settle$/, '');
  assert.match(url, /\/hosted\/terminal\/tc_/);
  const term = await (await browser.newContext()).newPage();
  await term.goto(url);
  await term.selectOption('#card', 'visa');
  await term.click('#tap');
  await term.waitForSelector('#status');
  assert.match(await term.textContent('#status'), /succeeded/);
  await term.close();
  // the order's page again (GET: a reload would post the settlement again)
  for (let i = 0; i < 50 && (await orderStatus(page)) !== 'settled'; i++) {
    await new Promise((r) => setTimeout(r, 300));
    await page.goto(back);
  }
  assert.strictEqual(await orderStatus(page), 'settled', 'paylink settles the order');
}

async function counterDay(browser, srv, L, lang, user, code) {
  const base = 'http://127.0.0.1:' + srv.ports['--console-port'];
  const page = await (await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US' })).newPage();
  const errors = [];
  // script errors only: the 403, 409 and 422 answers the test provokes
  // are reported as failed resources too
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  await page.goto(base + '/');
  await page.fill('#user', user);
  await page.fill('#password', L[user].password);
  await page.fill('#code', totp(L[user].secret));
  await page.click('#sign-in');
  await page.waitForURL(new RegExp('/counter/' + code + '$'));
  assert.strictEqual(await page.getAttribute('html', 'lang'), lang);
  assert.match(await page.textContent('h2 >> nth=0'), lang === 'ja' ? /本日の受け渡し/ : /Pickups today/);
  const nPick = await page.locator('#pickups tbody tr').count();
  const overdue = await page.locator('#overdue tbody tr').evaluateAll((rs) => rs.map((r) => r.dataset.number));
  assert.ok(nPick >= 2, 'pickups due today: ' + nPick);
  assert.ok(await page.locator('#returns tbody tr').count() >= 1, 'returns due today');
  assert.ok(overdue.length >= 3, 'the overdue list: ' + overdue.length);
  await screenshot(page, 'counter-day-' + lang);

  // another counter's page: 403
  const other = code === 'NRT1' ? 'HND3' : 'NRT1';
  const resp = await page.goto(base + '/counter/' + other);
  assert.strictEqual(resp.status(), 403, "another counter's page");

  // pickup by serial
  await page.goto(base + '/counter/' + code);
  await page.click('#pickups tbody tr >> nth=0 >> a');
  assert.ok((await page.textContent('#traveller')).trim().length > 2, "the traveller's name (vault, purpose counter)");
  await page.fill('#serial', 'NOPE-1');
  await page.click('#pickup');
  assert.strictEqual(await page.getAttribute('#error', 'data-code'), 'unknown_serial');
  assert.match(await page.textContent('#error'), lang === 'ja' ? /シリアル番号/ : /serial number/);
  await pickup(page);
  await screenshot(page, 'counter-pickup-' + lang);

  // returns two days late, damaged, under each cover
  const damage = { none: 7500, light: 1500, full: 0 };
  const covers = new Set();
  let terminalDone = false;
  for (const number of overdue.slice(0, 3)) {
    await openOrder(page, base, code, number);
    const cover = (await page.getAttribute('#cover', 'data-cover')) || 'none';
    assert.ok((await page.textContent('#cover')).trim().length > 0, 'the cover, by name');
    const serial = await page.getAttribute('#units tbody tr >> nth=0', 'data-serial');
    await page.fill('#serial', serial);
    await page.check('#cond-damaged');
    await page.click('#return');
    await page.waitForSelector('#returned');
    assert.strictEqual(await page.textContent('#late-days'), '2', number + ': two days late');
    const late = await page.textContent('#fees li[data-code="late"]');
    assert.match(late, /× 2:/, 'two late days');
    assert.strictEqual(yen(late.split(':').pop()), 4000, 'late fee: 2 × ¥2,000');
    covers.add(cover);
    const dmg = await page.locator('#fees li[data-code="damage:device"]').textContent();
    assert.strictEqual(yen(dmg.split(':').pop()), damage[cover], 'cover ' + cover + ': damage fee');
    await screenshot(page, 'counter-return-' + cover + '-' + lang);
    if (!terminalDone) {
      // settlement at the counter terminal
      await page.click('#settle-terminal');
      await page.waitForSelector('#settled');
      assert.strictEqual(await orderStatus(page), 'settle_pending');
      await payAtTerminal(browser, page);
      terminalDone = true;
    }
  }
  assert.deepStrictEqual([...covers].sort(), ['full', 'light', 'none'], 'each cover option');

  // settlement by the card on file
  const number = await cardOrder(srv, code);
  await openOrder(page, base, code, number);
  await takeBackAndSettle(page, await pickup(page), 'damaged', 'card');
  const back = page.url().replace(/\/settle$/, '');
  for (let i = 0; i < 50 && (await orderStatus(page)) !== 'settled'; i++) {
    await new Promise((r) => setTimeout(r, 300));
    await page.goto(back);
  }
  assert.strictEqual(await orderStatus(page), 'settled', 'card on file: captured and charged');
  await screenshot(page, 'counter-settled-card-' + lang);

  // a walk-in order, settled at the counter
  await page.goto(base + '/counter/' + code);
  await page.click('#walk-in');
  await page.fill('#return', isoDate(3));
  await page.fill('#name', lang === 'ja' ? '来店 一郎' : 'WALK IN');
  await page.fill('#kana', 'ライテン イチロウ');
  await page.fill('#email', 'walkin@example.jp');
  await page.fill('#phone', '090-7777-8888');
  await screenshot(page, 'counter-walkin-' + lang);
  await page.click('#walkin-go');
  await page.waitForURL(/\/orders\/RP-/);
  assert.strictEqual(await page.getAttribute('#billing', 'data-billing'), 'counter');
  assert.match(await page.textContent('#billing'), lang === 'ja' ? /店頭精算/ : /Paid at the counter/);
  // the traveller without the order number: found by phone (written
  // another way) or e-mail among the day's orders; an unknown one is not
  const walkin = page.url();
  for (const q of ['09077778888', 'WalkIn@Example.jp']) {
    await search(page, base, code, q);
    await page.waitForURL(walkin);
  }
  await search(page, base, code, '090-0000-0001');
  assert.strictEqual(await page.getAttribute('#error', 'data-code'), 'traveller_not_found');
  await page.goto(walkin);
  await takeBackAndSettle(page, await pickup(page), 'ok', 'terminal');
  await payAtTerminal(browser, page);
  await screenshot(page, 'counter-walkin-settled-' + lang);
  assert.deepStrictEqual(errors, [], 'no console errors');
}

test('a counter day in ja and en, in headless chromium', async () => {
  const srv = await startServer({ payments: true });
  const browser = await launch();
  const L = readLogins(srv.dir).staff;
  try {
    await counterDay(browser, srv, L, 'ja', 'counter-nrt1', 'NRT1');
    await counterDay(browser, srv, L, 'en', 'counter-hnd3', 'HND3');
  } finally {
    await browser.close();
    await srv.stop();
  }
});
