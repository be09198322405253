// SPDX-License-Identifier: ISC
// Browser test: a Japanese traveller orders on the public site — home →
// plans (destination US) → order form (errors shown beside the fields, values
// kept) → review → place → done; a second submit of the same confirm form
// places no second order; the confirmation e-mail (Japanese) carries the
// order number and a one-time link that, opened in a fresh browser without
// cookies, shows the order with the traveller's name read back.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const {
  startServer, launch, screenshot, isoDate, tabTo, waitMail, mailFiles, placeFromReview,
} = require('./lib');

const DEPART = isoDate(20);
const RETURN = isoDate(27);

test('public order in Japanese, e-mailed link, my order', async () => {
  const srv = await startServer();
  const browser = await launch();
  try {
    const ctx = await browser.newContext({ locale: 'ja-JP' });
    const page = await ctx.newPage();
    const errors = [];
    // Console errors (a CSP violation would show here), except the
    // expected 422 of the form with mistakes and 410 of a used link.
    const onConsole = (m) => {
      if (m.type() === 'error' && !/status of (422|410)\b/.test(m.text())) errors.push(m.text());
    };
    page.on('console', onConsole);

    // Home → plans.
    await page.goto(srv.url + '/');
    assert.strictEqual(await page.getAttribute('html', 'lang'), 'ja');
    await screenshot(page, 'public-01-home');
    await Promise.all([page.waitForURL(/\/plans$/), page.click('main a.button[href="/plans"]')]);
    assert.strictEqual(await page.textContent('h1'), '料金プラン');

    // Filter: destination US.
    await page.selectOption('#f-destination', 'US');
    await Promise.all([page.waitForURL(/destination=US/), page.click('form.filters button[type=submit]')]);
    const dests = await page.locator('table.plans tbody th').allTextContents();
    assert.ok(dests.length >= 3, 'several US plans: ' + dests);
    assert.ok(dests.every((d) => d === 'アメリカ'), 'only US plans: ' + dests);
    assert.strictEqual(await page.inputValue('#f-destination'), 'US');
    await screenshot(page, 'public-02-plans-us');

    // Choose US-R-1G → the order form with the plan selected.
    await Promise.all([page.waitForURL(/\/order\?plan=US-R-1G$/),
      page.click('a.choose[href="/order?plan=US-R-1G"]')]);
    assert.strictEqual(await page.textContent('h1'), 'お申し込みフォーム');
    assert.strictEqual(await page.inputValue('#f-plan'), 'US-R-1G');

    // First submit with three mistakes: return before departure, a
    // malformed e-mail address, the furigana in romaji.
    await page.fill('#f-depart', DEPART);
    await page.fill('#f-return', isoDate(15));
    await page.check('input[name=opt][value=battery]');
    await page.selectOption('#f-pickup_counter', 'NRT1');
    await page.selectOption('#f-return_counter', 'HND3');
    await page.fill('#f-name', 'TARO YAMADA');
    await page.fill('#f-kana', 'YAMADA TARO');
    await page.fill('#f-email', 'taro.yamada.example.com');
    await page.fill('#f-phone', '090-1234-5678');
    const [bad] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/order')),
      page.click('main form[action="/order"] button[type=submit]'),
    ]);
    assert.strictEqual(bad.status(), 422);
    await page.waitForSelector('#f-return-err'); // the answer page is shown
    for (const [field, text] of [['return', '帰国日は出発日以降'],
      ['email', 'メールアドレスの形式が正しくありません'], ['kana', '全角カタカナ']]) {
      assert.strictEqual(await page.getAttribute('#f-' + field, 'aria-invalid'), 'true', field);
      assert.match(await page.getAttribute('#f-' + field, 'aria-describedby'),
        new RegExp('\\bf-' + field + '-err\\b'), field);
      const err = page.locator('#f-' + field + '-err');
      assert.match(await err.textContent(), new RegExp(text), field);
      // Beside the field: in the same .field paragraph.
      assert.ok(await err.evaluate((e, f) => e.closest('.field').contains(document.getElementById(f)),
        'f-' + field), field + ' error beside its field');
    }
    // Correct fields are not marked.
    for (const field of ['name', 'phone', 'depart'])
      assert.strictEqual(await page.getAttribute('#f-' + field, 'aria-invalid'), null, field);
    assert.strictEqual(await page.locator('#f-name-err').count(), 0);
    // Everything typed is still there.
    assert.strictEqual(await page.inputValue('#f-plan'), 'US-R-1G');
    assert.strictEqual(await page.inputValue('#f-depart'), DEPART);
    assert.strictEqual(await page.inputValue('#f-return'), isoDate(15));
    assert.strictEqual(await page.inputValue('#f-name'), 'TARO YAMADA');
    assert.strictEqual(await page.inputValue('#f-kana'), 'YAMADA TARO');
    assert.strictEqual(await page.inputValue('#f-email'), 'taro.yamada.example.com');
    assert.strictEqual(await page.inputValue('#f-phone'), '090-1234-5678');
    assert.strictEqual(await page.inputValue('#f-pickup_counter'), 'NRT1');
    assert.strictEqual(await page.inputValue('#f-return_counter'), 'HND3');
    assert.ok(await page.isChecked('input[name=opt][value=battery]'));
    await screenshot(page, 'public-03-order-errors');

    // Fix them.  The date with fill(); the rest with the keyboard only:
    // Tab to the furigana, retype, Tab to the e-mail, retype, Enter.
    await page.fill('#f-return', RETURN);
    await tabTo(page, '#f-kana');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('ヤマダ タロウ');
    await page.keyboard.press('Tab');
    assert.strictEqual(await page.evaluate(() => document.activeElement.id), 'f-email');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('taro.yamada@example.com');
    await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' &&
      r.url().endsWith('/order') && r.status() === 200), page.keyboard.press('Enter')]);
    await page.waitForSelector('button#place'); // the review page is shown

    // Review: the total, the same as the quote page says.
    assert.strictEqual(await page.textContent('h1'), 'ご注文内容の確認');
    const total = (await page.textContent('#total')).trim();
    assert.match(total, /^¥[1-9][\d,]*$/);
    const summary = await page.textContent('dl.summary');
    for (const s of ['TARO YAMADA', 'ヤマダ タロウ', 'taro.yamada@example.com', DEPART, RETURN])
      assert.ok(summary.includes(s), 'review shows ' + s);
    const quote = await ctx.request.get(srv.url + '/quote?plan=US-R-1G&depart=' + DEPART +
      '&return=' + RETURN + '&opt=battery&pickup_counter=NRT1&return_counter=HND3');
    assert.strictEqual(quote.status(), 200);
    const qtotal = (await quote.text()).match(/id="total">([^<]+)</);
    assert.ok(qtotal, 'quote page has #total');
    assert.strictEqual(qtotal[1].trim(), total, 'review total = quote total');
    await screenshot(page, 'public-04-review');

    // Keep the confirm form as it is, to send it again later.
    const confirmForm = await page.evaluate(() => {
      const f = document.querySelector('#place').form;
      return { action: f.action, fields: [...new FormData(f).entries()] };
    });
    assert.ok(confirmForm.fields.some(([k, v]) => k === 'idem' && v.length >= 16), 'idem key');

    // Place the order with the keyboard: Tab to the button, Enter.  (No
    // payment agent runs here: the card order is placed, awaiting payment.)
    await tabTo(page, '#place');
    const { number, payPage } = await placeFromReview(page, () => page.keyboard.press('Enter'), {
      onPayPage: (p) => screenshot(p, 'public-05-pay-later'),
    });
    assert.strictEqual(await page.textContent('h1'), 'ご注文ありがとうございます');
    assert.match(number, /^RP-[A-Z0-9]{8}$/);
    assert.strictEqual((await page.textContent('#status')).trim(), 'お支払い待ち');
    assert.ok((await page.textContent('main')).includes(total), 'done page shows the total');
    await screenshot(page, 'public-05-done' + (payPage ? '-after-pay-page' : ''));

    // Double submit: the same confirm form (same idem key) once more, as
    // a browser's back button and a second press would send it.
    await page.evaluate(() => { window.firstDone = true; });
    const [again] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/order/confirm')),
      page.waitForNavigation({ url: /\/order\/done$/ }),
      page.evaluate(({ action, fields }) => {
        const f = document.createElement('form');
        f.method = 'post';
        f.action = action;
        for (const [k, v] of fields) {
          const i = document.createElement('input');
          i.type = 'hidden'; i.name = k; i.value = v;
          f.appendChild(i);
        }
        document.body.appendChild(f);
        f.submit();
      }, confirmForm),
    ]);
    assert.strictEqual(again.status(), 303, 'the replay goes to the done page');
    assert.strictEqual(await page.evaluate(() => window.firstDone), undefined, 'a new page');
    assert.strictEqual((await page.textContent('#order-number')).trim(), number,
      'the second submit shows the same order');
    await screenshot(page, 'public-06-done-again');

    // The confirmation e-mail, in Japanese, with the number and the link.
    const mail = await waitMail(srv.dir, number, { kind: 'order_confirmed', timeout: 15000 });
    assert.match(mail.subject, /ご注文を承りました/);
    assert.ok(mail.subject.includes(number), 'subject has the number');
    assert.match(mail.headers['content-type'], /charset=UTF-8/i);
    assert.match(mail.headers.to, /taro\.yamada@example\.com/);
    assert.ok(mail.body.includes(number), 'body has the number');
    assert.match(mail.body, /TARO YAMADA 様/);
    assert.match(mail.body, /[\u3040-\u309f]/, 'body in Japanese (hiragana)');
    assert.ok(mail.body.includes(total.replace('¥', '')), 'body has the total');
    assert.ok(mail.link, 'body has the my-order link');
    assert.ok(mail.link.startsWith(srv.url + '/my-order/open?t='), mail.link);
    // One order only: one confirmation for it and none for any other.
    await new Promise((r) => setTimeout(r, 1000));
    assert.strictEqual(mailFiles(srv.dir, number, 'order_confirmed').length, 1);
    assert.strictEqual(mailFiles(srv.dir, null, 'order_confirmed').length, 1,
      'no second order was placed');

    // The link in a new browser context: no cookies.
    const ctx2 = await browser.newContext({ locale: 'ja-JP' });
    const p2 = await ctx2.newPage();
    p2.on('console', onConsole);
    assert.strictEqual((await p2.goto(mail.link)).status(), 200);
    await p2.reload(); // a GET never uses up the link
    assert.strictEqual(await p2.locator('button#open').count(), 1);
    await screenshot(p2, 'public-07-open-link');
    await tabTo(p2, 'button#open');
    await Promise.all([p2.waitForURL(/\/my-order$/), p2.keyboard.press('Enter')]);
    assert.strictEqual((await p2.textContent('#order-number')).trim(), number);
    assert.strictEqual((await p2.textContent('#name')).trim(), 'TARO YAMADA');
    assert.strictEqual((await p2.textContent('#status')).trim(), 'お支払い待ち');
    assert.strictEqual((await p2.textContent('#depart')).trim(), DEPART);
    assert.strictEqual((await p2.textContent('#return')).trim(), RETURN);
    assert.strictEqual((await p2.textContent('#total')).trim(), total);
    assert.ok((await p2.textContent('main')).includes('ヤマダ タロウ'));
    await screenshot(p2, 'public-08-my-order');

    // Reading the traveller back was logged: a vault get by the public web
    // role for purpose order_view.
    let views = [];
    for (let i = 0; i < 25 && views.length === 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, 200));
      const log = spawnSync(process.env.RENTPORT_BIN, ['log', 'show', '--data-dir=' + srv.dir,
        '--role', 'public_web', '--action', 'get', '--json'], { encoding: 'utf8' });
      assert.strictEqual(log.status, 0, log.stderr);
      views = log.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((e) => e.purpose === 'order_view');
    }
    assert.strictEqual(views.length, 1, 'one logged read of the traveller');
    assert.strictEqual(views[0].outcome, 'ok');
    assert.strictEqual(views[0].tenant, 0);
    assert.ok(views[0].fields.includes('name'), 'the name was read');

    // The link works once: a third browser gets 410.
    const ctx3 = await browser.newContext({ locale: 'ja-JP' });
    const p3 = await ctx3.newPage();
    await p3.goto(mail.link);
    const [used] = await Promise.all([
      p3.waitForResponse((r) => r.request().method() === 'POST' && /\/my-order\/open$/.test(r.url())),
      p3.click('button#open'),
    ]);
    assert.strictEqual(used.status(), 410);
    await p3.waitForSelector('main p.errors');
    assert.match(await p3.textContent('main'), /このリンクは使用済みか/);
    assert.doesNotMatch(await p3.textContent('main'), /TARO YAMADA/);
    await screenshot(p3, 'public-09-link-used');

    assert.deepStrictEqual(errors, []);
  } finally {
    await browser.close();
    await srv.stop();
  }
});
