// SPDX-License-Identifier: ISC
// Browser test: paying by card through the payment agent's hosted field
// (paysim, run by `rentport serve` here) — the card typed into the
// agent's iframe on the review page, never into rentport's page:
//   a. card 4242… → done page confirmed, "visa •••• 4242"; (a2) the same on
//      the corporate site of seiso-eng, which bills by card;
//   b. 3-D Secure card 4000…3220 → the agent's challenge page → Complete →
//      back on the done page, confirmed;
//   c. declined cards (…0002 in Japanese, …9995 in English) → 402 pay page
//      with the decline message → another card on that page → confirmed;
//   d. `rentport pay capture NUMBER --extra-yen=3000` at settlement → the
//      agent holds the authorization captured for the order total and a
//      second, merchant-initiated payment of 3000;
//   e. cancelling card orders on "my order" → the authorization voided (no
//      fee) or just the fee captured; `rentport pay refund` → the agent's
//      refund.
// Throughout: no console error, the card number never in rentport's pages
// or in anything the browser sends to rentport; at the end, core dumps of
// every rentport process except paysim (the processor, which holds the
// numbers by design) are scanned with `rentport scan-pan` (skipped in a
// sanitizer build, whose reserved shadow memory would make terabyte cores).
// Two problems this test found in src/ are fixed and now asserted: the pay
// button's script ran before the button existed, and the done page of an
// order awaiting payment named the declined card as the one paid with.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { execFile, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, launch, screenshot, isoDate } = require('./lib');

const BIN = process.env.RENTPORT_BIN;
const yen = (s) => Number(String(s).replace(/[¥,\s]/g, ''));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The test cards (docs/paysim.md), as a customer types them.
const CARD = {
  ok: '4242 4242 4242 4242',
  mc: '5555 5555 5555 4444',
  threeds: '4000 0000 0000 3220',
  declined: '4000 0000 0000 0002',
  nofunds: '4000 0000 0000 9995',
};
const ALL_PANS = Object.values(CARD).map((c) => c.replace(/ /g, ''));
// A PAN in a string: plain, or grouped by spaces / dashes / %20 / +.
const panIn = (s) => ALL_PANS.some((p) => String(s || '').replace(/(%20|[\s+-])/g, '').includes(p));

let srv;
let browser;
let agent;           // http://127.0.0.1:PAYSIM_PORT
const errors = [];   // console errors of every page
// Page errors "Cannot set properties of null (setting 'disabled')": the
// submit handler of checkout.js failing as it did when card_field.html
// loaded it before the form's button (see the test below).
const buttonBug = [];
// Done pages of orders awaiting payment after a decline that say
// "paid with" the declined card (see the test below).
const paidWithDeclined = [];
const BUTTON_BUG = /Cannot set properties of null \(setting 'disabled'\)/;
const leaks = [];    // requests to rentport that carried a card number
const orders = {};   // scenario → { number, total }

function execP(file, args, opts = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: 60000, ...opts }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

// scan-pan's hits (its stdout), less the known false positive of its
// grouping rule (any digit groups of 3 or more): an access-log line's
// "STATUS BYTES MICROSECONDS" (e.g. 422 19406 18794, 13 digits with a Visa
// prefix, Luhn-valid one time in ten).  → { counted, ignored } (lines).
const ACCESS_LINE = /^\S+ [A-Z]+ \S+ (\d{3}) (\d+) (\d+) [0-9a-f]{32}$/;
function panHits(stdout) {
  const counted = [];
  const ignored = [];
  for (const line of String(stdout).split('\n')) {
    const m = line.match(/^(.*): offset (\d+): \S+ card number \S+ \(\d+ digits\)$/);
    if (!m) continue;
    const off = Number(m[2]);
    let rec = null;
    let at = 0;
    try {
      const fd = fs.openSync(m[1], 'r');
      const start = Math.max(0, off - 300);
      const buf = Buffer.alloc(600);
      const n = fs.readSync(fd, buf, 0, 600, start);
      fs.closeSync(fd);
      const b = buf.subarray(0, n);
      at = off - start;
      const a = b.lastIndexOf(10, at) + 1;
      let e = b.indexOf(10, at);
      if (e < 0) e = n;
      rec = b.subarray(a, e).toString('latin1');
      at -= a;
    } catch (e) { /* unreadable: counted */ }
    const am = rec && rec.match(ACCESS_LINE);
    if (am) {
      const from = rec.indexOf(' ' + am[1] + ' ' + am[2] + ' ' + am[3] + ' ') + 1;
      if (at >= from && at < from + am[1].length + am[2].length + am[3].length + 2) {
        ignored.push(line + ' [an access-log line\'s status, bytes and µs: ' + rec + ']');
        continue;
      }
    }
    counted.push(line);
  }
  return { counted, ignored };
}

// gcore PID → DIR/core.PID, in its own process group so that a timeout
// stops gdb too (gcore is a script around it).
function gcoreP(gcore, dir, pid, ms = 120000) {
  return new Promise((resolve) => {
    const c = spawn(gcore, ['-o', path.join(dir, 'core'), String(pid)],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => {
      out += '\n(timed out after ' + ms + ' ms)';
      try { process.kill(-c.pid, 'SIGKILL'); } catch (e) { /* gone */ }
    }, ms);
    c.on('close', (code) => { clearTimeout(timer); resolve({ code: code === null ? -1 : code, out }); });
  });
}

function secretOf(name) {
  return fs.readFileSync(path.join(srv.dir, 'paysim', name), 'utf8').trim();
}

// paysim's API with the merchant's secret key (as paylink calls it).
async function agentGet(p) {
  const r = await fetch(agent + p, { headers: { Authorization: 'Bearer ' + secretOf('api.secret') } });
  const body = await r.json();
  assert.strictEqual(r.status, 200, 'GET ' + p + ': ' + JSON.stringify(body));
  return body;
}

// Polls fn() until it returns a truthy value (at most ms); returns it.
async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(200);
  }
}

// The paysim payments POSTed for an order (its metadata), from the
// sandbox's request log: [{ seq, status, idempotency_key, body }].
async function agentPaymentPosts(number) {
  const r = await fetch(agent + '/sandbox/requests');
  const j = await r.json();
  const list = Array.isArray(j) ? j : (j.requests || j.data || []);
  return list.filter((q) => q.method === 'POST' && q.path === '/v1/payments' &&
    JSON.stringify(q.body || '').includes(number));
}

// `rentport pay show NUMBER`: { text, rows: { op: { state, status, id } } }.
async function payShow(number) {
  const r = await execP(BIN, ['pay', 'show', number, '--data-dir=' + srv.dir]);
  assert.strictEqual(r.code, 0, 'pay show: ' + r.stderr);
  const rows = {};
  for (const line of r.stdout.split('\n')) {
    const m = line.match(/^\s+(authorize|capture|void|refund|charge)\s+#\d+\s+(\d+) yen\s+(\S+)\s+(\S+)?\s*((?:pay|re)_[0-9a-z]+)?/);
    if (m) rows[m[1]] = { amount: Number(m[2]), state: m[3], status: m[4] || '', id: m[5] || '' };
  }
  return { text: r.stdout, rows };
}

async function newPage(locale) {
  const ctx = await browser.newContext({ locale });
  const page = await ctx.newPage();
  page.on('console', (m) => {
    // The decline answers 402 on purpose (the pay page).
    if (m.type() === 'error' && !/status of 402\b/.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => (BUTTON_BUG.test(e.message) ? buttonBug : errors)
    .push('pageerror: ' + e.message + ' on ' + page.url()));
  page.on('request', (r) => {
    if (!r.url().startsWith(srv.url)) return;
    if (panIn(r.url()) || panIn(r.postData())) leaks.push(r.method() + ' ' + r.url());
  });
  return page;
}

// The order form filled in and sent: the review page with the card field.
async function review(page, o) {
  const home = o.home || '/';
  await page.goto(srv.url + home + 'order?plan=' + o.plan);
  await page.fill('#f-depart', o.depart);
  await page.fill('#f-return', o.ret);
  await page.selectOption('#f-pickup_counter', o.counter);
  await page.selectOption('#f-return_counter', o.counter);
  await page.fill('#f-name', o.name);
  await page.fill('#f-kana', o.kana);
  await page.fill('#f-email', o.email);
  await page.fill('#f-phone', '090-1234-5678');
  for (const [k, v] of Object.entries(o.corp || {})) await page.fill('#f-' + k, v);
  if (await page.locator('input[type=radio][name=billing][value=card]').count())
    await page.check('input[type=radio][name=billing][value=card]');
  await Promise.all([page.waitForSelector('button#place'),
    page.click('main form[method=post] button[type=submit]')]);
  // The card field: the agent's page in an iframe on the agent's origin.
  const src = await page.getAttribute('#card-frame', 'src');
  assert.ok(src.startsWith(agent + '/hosted/field?'), 'iframe from the agent: ' + src);
  assert.strictEqual(await page.getAttribute('#card-frame', 'data-origin'), agent);
  assert.strictEqual(await page.locator('form#pay-form #card-frame').count(), 1,
    'the card field is inside form#pay-form');
  return (await page.textContent('#total')).trim();
}

// Types a card into the agent's iframe, key by key, as a customer does.
async function typeCard(page, pan, exp = '12/30', cvc = '123') {
  const f = page.frameLocator('#card-frame');
  await f.locator('#number').waitFor();
  await f.locator('#number').pressSequentially(pan, { delay: 5 });
  await f.locator('#exp').pressSequentially(exp, { delay: 5 });
  await f.locator('#cvc').pressSequentially(cvc, { delay: 5 });
  // Typed into the agent's document only: not in rentport's page.
  assert.ok(!panIn(await page.content()), 'the page around the field has no card number');
}

// Presses the submit button of form#pay-form (place / pay) and waits for
// the browser to land on a page matching url; returns the main response.
// If the button does nothing because of checkout.js's bug, the test asks
// the iframe for the token itself — exactly the message checkout.js sends
// on submit — and checkout.js's message handler submits the form.
async function submitCard(page, button, url) {
  const posted = page.waitForResponse((r) => r.request().method() === 'POST' &&
    /\/(order\/confirm|my-order\/pay)$/.test(r.url()), { timeout: 25000 });
  const landed = page.waitForURL(url, { timeout: 25000 });
  const bugs = buttonBug.length;
  let sent = false;
  posted.then(() => { sent = true; }, () => {});
  await page.click(button);
  for (let i = 0; i < 30 && !sent && buttonBug.length === bugs; i++) await sleep(100);
  if (!sent && buttonBug.length > bugs) {
    await page.evaluate(() => {
      const f = document.getElementById('card-frame');
      f.contentWindow.postMessage({ type: 'paysim:tokenize' }, f.getAttribute('data-origin'));
    });
  }
  const [resp] = await Promise.all([posted, landed]);
  await page.waitForLoadState();
  assert.ok(!panIn(await page.content()), 'no card number in ' + page.url());
  return resp;
}

const done = async (page) => ({
  number: (await page.textContent('#order-number')).trim(),
  status: (await page.textContent('#status')).trim(),
  card: await page.locator('#card').count() ? (await page.textContent('#card')).trim() : null,
});

test.before(async () => {
  srv = await startServer({ payments: true });
  const port = srv.ports['--paysim-port'];
  assert.ok(port, 'serve has --paysim-port: ' + JSON.stringify(srv.ports));
  agent = 'http://127.0.0.1:' + port;
  await until('paysim /healthz', async () => {
    try { return (await fetch(agent + '/healthz')).ok; } catch (e) { return false; }
  }, 30000);
  await until('the agent secrets', () => fs.existsSync(path.join(srv.dir, 'paysim', 'webhook.secret')));
  browser = await launch();
});

test.after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

test('a. card 4242 typed into the agent iframe → confirmed, visa •••• 4242', async () => {
  const page = await newPage('ja-JP');
  const total = await review(page, {
    plan: 'US-R-1G', depart: isoDate(20), ret: isoDate(26), counter: 'NRT1',
    name: 'HANAKO SATO', kana: 'サトウ ハナコ', email: 'hanako@example.com',
  });
  await typeCard(page, CARD.ok);
  await screenshot(page, 'pay-01-review-card-ja');
  const resp = await submitCard(page, 'button#place', /\/order\/done$/);
  assert.strictEqual(resp.status(), 303, 'order/confirm → 303 order/done');
  const d = await done(page);
  assert.match(d.number, /^RP-[A-Z0-9]{8}$/);
  assert.strictEqual(d.status, '確定');
  assert.strictEqual(d.card, 'visa •••• 4242');
  assert.ok((await page.textContent('main')).includes(total), 'done page shows the total ' + total);
  await screenshot(page, 'pay-02-done-ja');
  await page.goto(srv.url + '/order/done?lang=en');
  assert.strictEqual((await done(page)).status, 'Confirmed');
  assert.strictEqual((await done(page)).card, 'visa •••• 4242');
  await screenshot(page, 'pay-03-done-en');
  orders.a = { number: d.number, total: yen(total) };
  // The agent holds the order total (manual capture: not taken yet).
  const { rows } = await payShow(d.number);
  assert.ok(rows.authorize && /^pay_/.test(rows.authorize.id), 'pay show: ' + JSON.stringify(rows));
  const p = await agentGet('/v1/payments/' + rows.authorize.id);
  assert.strictEqual(p.status, 'requires_capture');
  assert.strictEqual(p.amount, yen(total));
  assert.strictEqual(p.last4, '4242');
  assert.strictEqual(p.metadata.order, d.number);
  orders.a.auth = rows.authorize.id;
});

test('a2. corporate site seiso-eng (billed by card): mastercard → confirmed', async () => {
  const page = await newPage('en-US');
  const home = '/c/seiso-eng/';
  const total = await review(page, {
    home, plan: 'US-R-1G', depart: isoDate(24), ret: isoDate(29), counter: 'KIX1',
    name: 'RYO ABE', kana: 'アベ リョウ', email: 'ryo.abe@seiso-eng.example',
    corp: { department: 'Field Engineering', employee_no: 'S-2041', cost_centre: 'FE-7' },
  });
  assert.strictEqual(await page.locator('input[name=billing][value=invoice]').count(), 0,
    'no invoice for a card-billed client');
  await typeCard(page, CARD.mc);
  await screenshot(page, 'pay-01b-review-corporate-card');
  const resp = await submitCard(page, 'button#place', /\/c\/seiso-eng\/order\/done$/);
  assert.strictEqual(resp.status(), 303);
  const d = await done(page);
  assert.strictEqual(d.status, 'Confirmed');
  assert.strictEqual(d.card, 'mastercard •••• 4444');
  assert.ok((await page.textContent('main')).includes(total));
  await screenshot(page, 'pay-01c-done-corporate');
});

test('b. 3-D Secure card 4000…3220 → challenge → Complete → confirmed', async (t) => {
  const page = await newPage('en-US');
  const total = await review(page, {
    plan: 'KR-R-500M', depart: isoDate(21), ret: isoDate(25), counter: 'NRT2',
    name: 'KENJI ITO', kana: 'イトウ ケンジ', email: 'kenji@example.com',
  });
  await typeCard(page, CARD.threeds);
  const resp = await submitCard(page, 'button#place',
    (u) => u.href.startsWith(agent + '/hosted/3ds/pay_'));
  assert.strictEqual(resp.status(), 303);
  assert.match(await page.textContent('h1'), /Simulated 3-D Secure/);
  await screenshot(page, 'pay-04-3ds-challenge');
  await Promise.all([page.waitForURL(/\/order\/done$/, { timeout: 20000 }), page.click('#complete')]);
  const first = await done(page);
  assert.match(first.number, /^RP-[A-Z0-9]{8}$/);
  await screenshot(page, 'pay-05-3ds-done');
  // Straight back from the challenge the order reads Confirmed: the site
  // waits for paylink to learn the outcome (webhook or its own inquiry).
  assert.strictEqual(first.status, 'Confirmed',
    'straight back from 3-D Secure the order reads Confirmed');
  const d = await until('the 3-D Secure order confirmed', async () => {
    await page.reload();
    const x = await done(page);
    return x.status === 'Confirmed' ? x : null;
  });
  assert.strictEqual(d.number, first.number);
  assert.strictEqual(d.card, 'visa •••• 3220');
  assert.ok((await page.textContent('main')).includes(total));
  orders.b = { number: d.number, total: yen(total), firstStatus: first.status };
});

async function declineThenPay(t, locale, pan, expectText, shot) {
  const page = await newPage(locale);
  const total = await review(page, {
    plan: 'US-S-1G', depart: isoDate(22), ret: isoDate(27), counter: 'HND3',
    name: 'YUKI MORI', kana: 'モリ ユキ', email: 'yuki@example.com',
  });
  await typeCard(page, pan);
  const resp = await submitCard(page, 'button#place', /\/order\/confirm$/);
  assert.strictEqual(resp.status(), 402, 'a declined card answers 402');
  assert.match((await page.textContent('#pay-declined')).trim(), expectText);
  assert.strictEqual(await page.locator('form#pay-form[action$="/my-order/pay"] #card-frame').count(), 1,
    'the pay page offers another card');
  const number = (await page.textContent('#order-number')).trim();
  await screenshot(page, shot + '-declined');
  // Meanwhile the order is saved, awaiting payment.
  const page2 = await page.context().newPage();
  await page2.goto(srv.url + '/order/done');
  const waiting = await done(page2);
  assert.strictEqual(waiting.number, number);
  assert.match(waiting.status, /お支払い待ち|Awaiting payment/);
  assert.strictEqual(await page2.locator('#pay-now').count(), 1, 'a "pay now" link');
  if (waiting.card !== null) paidWithDeclined.push(number + ': ' + waiting.card);
  await page2.close();
  // Another card on the pay page.
  await typeCard(page, CARD.ok);
  const ok = await submitCard(page, 'form#pay-form button[type=submit]', /\/order\/done$/);
  assert.strictEqual(ok.status(), 303);
  const d = await done(page);
  assert.strictEqual(d.number, number);
  assert.match(d.status, /^(確定|Confirmed)$/);
  assert.strictEqual(d.card, 'visa •••• 4242');
  await screenshot(page, shot + '-paid');
  return { number, total: yen(total), waitingCard: waiting.card };
}

test('c. declined card → message (ja, en) → pay page → another card → confirmed', async (t) => {
  orders.c_ja = await declineThenPay(t, 'ja-JP', CARD.declined,
    /^カードがご利用いただけませんでした。別のカードでお試しください。$/, 'pay-06-ja');
  orders.c_en = await declineThenPay(t, 'en-US', CARD.nofunds,
    /^Insufficient funds\. Please try another card\.$/, 'pay-07-en');
  // Two authorizations at the agent for each: the declined one, then the paid one.
  for (const o of [orders.c_ja, orders.c_en]) {
    const posts = await agentPaymentPosts(o.number);
    assert.deepStrictEqual(posts.map((q) => q.status).sort(), [200, 402],
      o.number + ': ' + JSON.stringify(posts.map((q) => [q.status, q.idempotency_key])));
    assert.ok(posts.every((q) => /^order:\d+:authorize:[12]$/.test(q.idempotency_key)));
  }
});

test('d. capture at settlement with an extra fee of 3000 yen', async (t) => {
  assert.ok(orders.a, 'needs the order of a');
  const { number, total, auth } = orders.a;
  const r = await execP(BIN, ['pay', 'capture', number, '--extra-yen=3000', '--data-dir=' + srv.dir]);
  t.diagnostic('pay capture: ' + r.stdout.trim().replace(/\n/g, ' | '));
  assert.strictEqual(r.code, 0, 'pay capture: ' + r.stdout + r.stderr);
  const p = await agentGet('/v1/payments/' + auth);
  assert.strictEqual(p.status, 'succeeded');
  assert.strictEqual(p.amount_received, total, 'captured the order total');
  assert.strictEqual(p.amount_capturable, 0);
  const { rows, text } = await payShow(number);
  assert.ok(rows.charge && /^pay_/.test(rows.charge.id), 'pay show has the charge: ' + text);
  assert.notStrictEqual(rows.charge.id, auth);
  const c = await agentGet('/v1/payments/' + rows.charge.id);
  assert.strictEqual(c.status, 'succeeded');
  assert.strictEqual(c.amount, 3000);
  assert.strictEqual(c.amount_received, 3000);
  assert.strictEqual(c.off_session, true, 'merchant-initiated, on the saved card');
  assert.strictEqual(c.customer, p.customer);
  assert.strictEqual(c.last4, '4242');
  assert.strictEqual(c.metadata.order, number);
  // The agent's request log: exactly two payments for the order.
  const posts = await agentPaymentPosts(number);
  assert.strictEqual(posts.length, 2, JSON.stringify(posts.map((q) => q.idempotency_key)));
  assert.deepStrictEqual(posts.map((q) => q.idempotency_key).sort(),
    posts.map((q) => q.idempotency_key).filter((k) => /^order:\d+:(authorize|charge):1$/.test(k)).sort());
  orders.a.charge = rows.charge.id;
});

test('e. cancel card orders: void without a fee, the fee captured; refunds', async (t) => {
  // (1) Far ahead: no fee → the authorization is voided.
  const page = await newPage('en-US');
  await review(page, {
    plan: 'KR-R-500M', depart: isoDate(30), ret: isoDate(33), counter: 'NRT1',
    name: 'AKI ONO', kana: 'オノ アキ', email: 'aki@example.com',
  });
  await typeCard(page, CARD.ok);
  await submitCard(page, 'button#place', /\/order\/done$/);
  const free = await done(page);
  assert.strictEqual(free.status, 'Confirmed');
  const freeAuth = (await payShow(free.number)).rows.authorize.id;
  await page.goto(srv.url + '/my-order/cancel');
  assert.strictEqual((await page.textContent('#fee')).trim(), '¥0');
  await Promise.all([page.waitForURL(/\/my-order\?cancelled=1$/), page.click('button#confirm-cancel')]);
  assert.strictEqual((await page.textContent('#status')).trim(), 'Cancelled');
  const voided = await until('the void at the agent', async () => {
    const p = await agentGet('/v1/payments/' + freeAuth);
    return p.status === 'canceled' ? p : null;
  });
  assert.strictEqual(voided.amount_received, 0);
  await screenshot(page, 'pay-08-cancelled-void');

  // (2) Leaving in two days: a fee → just the fee is captured.
  const pe = await newPage('en-US');
  const total = yen(await review(pe, {
    plan: 'KR-S-1G', depart: isoDate(2), ret: isoDate(5), counter: 'HND3',
    name: 'EMMA BROWN', kana: 'ブラウン エマ', email: 'emma@example.com',
  }));
  await typeCard(pe, CARD.ok);
  await submitCard(pe, 'button#place', /\/order\/done$/);
  const soon = await done(pe);
  assert.strictEqual(soon.status, 'Confirmed');
  const soonAuth = (await payShow(soon.number)).rows.authorize.id;
  await pe.goto(srv.url + '/my-order/cancel');
  const fee = yen((await pe.textContent('#fee')).trim());
  assert.ok(fee > 0 && fee <= total, 'a fee this close to departure: ' + fee + ' of ' + total);
  await screenshot(pe, 'pay-09-cancel-fee');
  await Promise.all([pe.waitForURL(/\/my-order\?cancelled=1$/), pe.click('button#confirm-cancel')]);
  assert.strictEqual((await pe.textContent('#status')).trim(), 'Cancelled');
  const feeTaken = await until('the fee captured at the agent', async () => {
    const p = await agentGet('/v1/payments/' + soonAuth);
    return p.status === 'succeeded' ? p : null;
  });
  assert.strictEqual(feeTaken.amount_received, fee, 'only the fee is captured');
  assert.strictEqual(feeTaken.amount_capturable, 0, 'the rest of the hold is released');

  // (3) Refunds: part of the settled order of d, and the whole fee.
  assert.ok(orders.a && orders.a.charge, 'needs the settled order of d');
  let r = await execP(BIN, ['pay', 'refund', orders.a.number, '--yen=1000', '--data-dir=' + srv.dir]);
  t.diagnostic('pay refund: ' + r.stdout.trim().replace(/\n/g, ' | '));
  assert.strictEqual(r.code, 0, 'pay refund: ' + r.stdout + r.stderr);
  const refunded = await agentGet('/v1/payments/' + orders.a.auth);
  assert.strictEqual(refunded.amount_refunded, 1000);
  const { rows } = await payShow(orders.a.number);
  assert.ok(rows.refund && rows.refund.state === 'done', 'pay show has the refund: ' + JSON.stringify(rows));
  // rentport keeps no re_… id (the refund row's psp_id is the payment's):
  // find the refund call in the agent's request log and send it again
  // with the same Idempotency-Key — the agent answers the stored refund
  // object and refunds nothing more.
  const reqs = (await (await fetch(agent + '/sandbox/requests')).json()).data;
  const call = reqs.filter((q) => q.method === 'POST' && q.path === '/v1/refunds' &&
    String(q.body).includes(orders.a.auth));
  assert.strictEqual(call.length, 1, 'one refund call: ' + JSON.stringify(call));
  assert.strictEqual(call[0].status, 200);
  assert.match(call[0].idempotency_key, /^order:\d+:refund:1$/);
  const again = await fetch(agent + '/v1/refunds', {
    method: 'POST', body: call[0].body,
    headers: { Authorization: 'Bearer ' + secretOf('api.secret'), 'Content-Type': 'application/json',
      'Idempotency-Key': call[0].idempotency_key },
  });
  const re = await again.json();
  assert.strictEqual(again.status, 200, JSON.stringify(re));
  assert.strictEqual(again.headers.get('idempotent-replayed'), 'true');
  assert.match(re.id, /^re_[0-9a-z]{24}$/);
  assert.strictEqual((await agentGet('/v1/refunds/' + re.id)).status, 'succeeded');
  assert.strictEqual(re.amount, 1000);
  assert.strictEqual(re.payment, orders.a.auth);
  assert.strictEqual((await agentGet('/v1/payments/' + orders.a.auth)).amount_refunded, 1000,
    'the replay refunded nothing more');
  r = await execP(BIN, ['pay', 'refund', soon.number, '--yen=' + fee, '--data-dir=' + srv.dir]);
  assert.strictEqual(r.code, 0, 'pay refund of the fee: ' + r.stdout + r.stderr);
  assert.strictEqual((await agentGet('/v1/payments/' + soonAuth)).amount_refunded, fee);
});

test('the pay button submits the card (static/checkout.js)', () => {
  // (One line: a multi-line diff in the YAML block upsets meson's TAP reader.)
  assert.ok(buttonBug.length === 0, buttonBug.length + ' page errors: ' +
    JSON.stringify([...new Set(buttonBug.map((e) => e.replace(/ on http:\/\/[^/]+/, ' on ')))]));
});

test('an order awaiting payment after a decline does not say it was paid with that card', () => {
  assert.ok(paidWithDeclined.length === 0, 'done pages: ' + JSON.stringify(paidWithDeclined));
});

test('no console errors; no card number sent to or shown by rentport', async (t) => {
  assert.deepStrictEqual(errors, []);
  assert.deepStrictEqual(leaks, []);
  // Nor in the .eml files, the logs or the stores (the full scan of the
  // data directory; DATA/paysim is the processor's, scanned too: it keeps
  // cards encrypted only).
  const r = spawnSync(BIN, ['scan-pan', srv.dir], { encoding: 'utf8' });
  t.diagnostic('scan-pan data dir: ' + (r.stderr || '').trim());
  assert.ok(r.status === 0 || r.status === 1, 'scan-pan ' + srv.dir + ': exit ' + r.status + ' ' + r.stderr);
  const h = panHits(r.stdout);
  for (const x of h.ignored) t.diagnostic('not counted: ' + x);
  assert.ok(h.counted.length === 0, 'card numbers in the data directory: ' + h.counted.join(' | '));
});

// The parent and all its descendants (from /proc), depth first.
function processTree(pid) {
  const out = [pid];
  let tasks = [];
  try { tasks = fs.readdirSync('/proc/' + pid + '/task'); } catch (e) { return out; }
  for (const t of tasks) {
    let kids = '';
    try { kids = fs.readFileSync('/proc/' + pid + '/task/' + t + '/children', 'utf8'); } catch (e) { continue; }
    for (const k of kids.split(/\s+/).filter(Boolean)) out.push(...processTree(Number(k)));
  }
  return out;
}

// The name serve gave pid in its log ("started KIND/N as pid PID"), or
// "parent".
function childName(pid) {
  if (pid === srv.proc.pid) return 'parent';
  const log = fs.readFileSync(path.join(srv.dir, 'log', 'rentport.log'), 'utf8');
  const m = [...log.matchAll(/started (\S+) as pid (\d+)/g)].filter((x) => Number(x[2]) === pid);
  return m.length ? m[m.length - 1][1] : 'pid ' + pid;
}

// What gdb's gcore would write for pid: the readable mappings not marked
// "do not dump" (dd), in bytes, and whether a sanitizer runtime is loaded.
function dumpEstimate(pid) {
  let bytes = 0;
  let size = 0;
  let text = '';
  try { text = fs.readFileSync('/proc/' + pid + '/smaps', 'utf8'); } catch (e) { return { bytes: 0, asan: false }; }
  for (const line of text.split('\n')) {
    const m = line.match(/^([0-9a-f]+)-([0-9a-f]+) /);
    if (m) {
      size = Number(BigInt('0x' + m[2]) - BigInt('0x' + m[1]));
    } else if (line.startsWith('VmFlags:')) {
      // gdb reads PROT_NONE reservations too (as zeros): count them.
      if (!/\bdd\b/.test(line)) bytes += size;
    }
  }
  return { bytes, asan: /lib[at]san|libubsan/.test(text) };
}

test('core dumps of rentport processes hold no card number', async (t) => {
  const gcore = spawnSync('sh', ['-c', 'command -v gcore'], { encoding: 'utf8' }).stdout.trim();
  if (!gcore) {
    t.skip('gcore not installed (package gdb; scripts/install-deps.sh installs it)');
    return;
  }
  const pids = [...new Set(processTree(srv.proc.pid))];
  // A sanitizer build reserves terabytes of address space (shadow memory,
  // allocator regions) that gcore would write out as zeros: no cores
  // there — the plain build's run of this test dumps and scans them.
  const est = pids.map((p) => ({ pid: p, ...dumpEstimate(p) }));
  if (est.some((e) => e.asan)) {
    t.skip('sanitizer build (libasan loaded): its reserved shadow memory would make ' +
      'terabyte-sized cores; the plain build dumps and scans them');
    return;
  }
  const need = est.reduce((a, e) => a + e.bytes, 0);
  const dir = path.join(srv.dir, 'cores');
  fs.mkdirSync(dir, { recursive: true });
  let free = Infinity;
  try {
    const st = fs.statfsSync(dir);
    free = st.bavail * st.bsize;
  } catch (e) { /* node without statfs: no check */ }
  if (need > 16 * 2 ** 30 || need * 2 > free) {
    t.skip('core dumps would take ' + Math.round(need / 2 ** 20) + ' MiB with ' +
      Math.round(free / 2 ** 20) + ' MiB free: skipped');
    return;
  }
  const dumped = [];
  const excluded = [];
  for (const pid of pids) {
    const name = childName(pid);
    if (/^paysim\b/.test(name)) {
      // The processor: it receives the card numbers by design.
      excluded.push(name + ' (pid ' + pid + ')');
      continue;
    }
    const r = await gcoreP(gcore, dir, pid);
    const file = path.join(dir, 'core.' + pid);
    if (r.code !== 0 || !fs.existsSync(file)) {
      const why = r.out.split('\n').filter((l) => /ptrace|permi|not permitted|attach/i.test(l)).join(' ');
      if (why) {
        t.skip('gcore could not attach (ptrace refused): ' + why.slice(0, 300));
        return;
      }
      fs.rmSync(dir, { recursive: true, force: true });
      assert.fail('gcore ' + name + ' (pid ' + pid + ') failed: ' + r.out.slice(-500));
    }
    dumped.push(name + ' (pid ' + pid + ', ' + fs.statSync(file).size + ' bytes)');
  }
  t.diagnostic('core dumps (estimated ' + Math.round(need / 2 ** 20) + ' MiB): ' + dumped.join(', '));
  t.diagnostic('excluded from the core scan: ' + excluded.join(', ') +
    ' — the payment agent sandbox is the processor and holds the typed cards by design');
  assert.ok(excluded.length === 1, 'found the paysim child to exclude: ' + JSON.stringify(pids.map(childName)));
  assert.ok(dumped.length >= 5, 'dumped the parent and its children: ' + dumped.join(', '));
  const r = await execP(BIN, ['scan-pan', dir], { timeout: 600000 });
  t.diagnostic('scan-pan cores: ' + (r.stderr || '').trim());
  assert.ok(r.code === 0 || r.code === 1, 'scan-pan cores: exit ' + r.code + ' ' + r.stderr);
  const h = panHits(r.stdout);
  for (const x of h.ignored) t.diagnostic('not counted: ' + x);
  assert.ok(h.counted.length === 0, 'card numbers in a core dump of rentport: ' + h.counted.join(' | '));
  // The method works: a process holding a test card number in memory
  // (a sleeping python3 whose source has it) dumped and scanned the same
  // way is found.
  const holder = require('node:child_process').spawn('python3',
    ['-c', 'import time; card = "4242 4242 4242 4242"; time.sleep(120)'], { stdio: 'ignore' });
  try {
    await sleep(300);
    const hdir = path.join(srv.dir, 'cores-control');
    fs.mkdirSync(hdir, { recursive: true });
    const g = await gcoreP(gcore, hdir, holder.pid);
    assert.strictEqual(g.code, 0, 'gcore of the control process: ' + g.out);
    const s = await execP(BIN, ['scan-pan', hdir], { timeout: 600000 });
    t.diagnostic('control (a process holding 4242…4242): ' + (s.stderr || '').trim());
    assert.strictEqual(s.code, 1, 'scan-pan finds the number in the control core: ' + s.stdout + s.stderr);
    fs.rmSync(hdir, { recursive: true, force: true });
  } finally {
    holder.kill('SIGKILL');
  }
  // Cores are large: kept only with RENTPORT_KEEP_CORES.
  if (!process.env.RENTPORT_KEEP_CORES) fs.rmSync(dir, { recursive: true, force: true });
});
