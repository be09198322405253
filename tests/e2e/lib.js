// SPDX-License-Identifier: ISC
// Shared helpers for the browser end-to-end tests: start `rentport serve`
// on free loopback ports with a fresh data directory, launch Debian's
// chromium through playwright-core, keep screenshots as test artefacts.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BIN = process.env.RENTPORT_BIN;
const ARTIFACTS = process.env.RENTPORT_E2E_ARTIFACTS ||
  path.join(__dirname, 'artifacts');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitUp(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch (e) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not come up: ' + url);
}

// The options `rentport serve --help` lists.
let serveOpts = null;
function serveOptions() {
  if (serveOpts) return serveOpts;
  const r = spawnSync(BIN, ['serve', '--help'], { encoding: 'utf8' });
  const help = (r.stdout || '') + (r.stderr || '');
  serveOpts = [...new Set([...help.matchAll(/^\s*(--[a-z0-9-]+)\b/gm)].map((m) => m[1]))];
  return serveOpts;
}

// Those naming a TCP port other than the sites' own --port
// (--alog-http-port, --witness-port, the payment sandbox's, …).
function servePortOptions() {
  const opts = serveOptions().filter((o) => /-port$/.test(o) && o !== '--port');
  for (const must of ['--alog-http-port', '--witness-port'])
    if (!opts.includes(must)) opts.push(must);
  return opts;
}

// Starts seeded rentport (demo data by default) with --public-url pointing
// at itself, so e-mailed links lead back to this server.  Options:
//   seed: arguments of `rentport seed` (null: none);  args: more serve flags;
// Returns
// { url, port, dir, proc, ports, logins, stop() }: dir is the data directory
// (mail under dir/mail/out), ports the other listening ports by option
// (ports['--paysim-port'], ports['--paylink-port'], …), logins what the
// seed wrote to demo-logins.txt.
//   payments: false (default) runs without a payment agent (--paysim-local=0
//   where serve has it): card orders are placed and await payment.
// The core store for this test: a fresh database on the private PostgreSQL
// `make test` starts (RENTPORT_TEST_PG, its admin URL) when the test runs
// in the pg suite (RENTPORT_TEST_PG_WANTED), else null (SQLite).
function pgStore() {
  if (!process.env.RENTPORT_TEST_PG_WANTED) return null;
  const admin = process.env.RENTPORT_TEST_PG || '';
  if (!admin.endsWith('/postgres'))
    throw new Error('the pg suite needs RENTPORT_TEST_PG (scripts/pgtmp.sh)');
  const name = 'e2e_' + process.pid + '_' + Date.now() % 1e9;
  const r = spawnSync('psql', ['-q', admin, '-c', 'CREATE DATABASE ' + name],
    { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('CREATE DATABASE: ' + r.stderr);
  return admin.slice(0, -'postgres'.length) + name;
}

async function startServer({ seed = ['--demo'], args: extra = [], payments = false } = {}) {
  if (!BIN) throw new Error('RENTPORT_BIN is not set');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rentport-e2e-'));
  const store = pgStore();
  // operator commands the test runs afterwards (rentport pay …) reach the
  // same store: the latest server's, as a test file starts one at a time
  if (store) process.env.RENTPORT_STORE = store;
  const env = process.env;
  if (seed) {
    const r = spawnSync(BIN, ['seed', ...seed, '--data-dir=' + dir], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error('seed failed: ' + r.stderr);
  }
  const port = await freePort();
  const url = 'http://localhost:' + port;
  const args = ['serve', '--data-dir=' + dir, '--port=' + port, '--workers=1',
    '--public-url=' + url];
  // Every other listening port (access log, witness, payment sandbox, …)
  // gets a free one too, so tests never collide with each other or `make run`.
  // ports: option → port number, of those picked here or given in args.
  const ports = {};
  for (const opt of servePortOptions()) {
    const given = extra.find((a) => a.startsWith(opt + '='));
    if (given) ports[opt] = Number(given.slice(opt.length + 1));
    else args.push(opt + '=' + (ports[opt] = await freePort()));
  }
  if (!payments && serveOptions().includes('--paysim-local') &&
      !extra.some((a) => a.startsWith('--paysim-local=')))
    args.push('--paysim-local=0');
  args.push(...extra);
  const out = fs.openSync(path.join(dir, 'server.log'), 'a');
  const proc = spawn(BIN, args, { stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  try {
    await waitUp(url + '/healthz', 30000);
  } catch (e) {
    proc.kill('SIGTERM');
    throw e;
  }
  return {
    url, port, dir, proc, ports, store, logins: readLogins(dir),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      if (!process.env.RENTPORT_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// demo-logins.txt: "access code for SLUG: CODE", "API key for SLUG: rpk_… site URL"
// and staff lines "NAME PASSWORD ROLE".
function readLogins(dir) {
  const res = { accessCode: {}, apiKey: {}, staff: {} };
  let text = '';
  try { text = fs.readFileSync(path.join(dir, 'demo-logins.txt'), 'utf8'); } catch (e) { return res; }
  for (const line of text.split('\n')) {
    let m;
    if ((m = line.match(/access code for ([\w-]+): (\S+)/))) res.accessCode[m[1]] = m[2];
    else if ((m = line.match(/API key for ([\w-]+): (rpk_\w+)/))) res.apiKey[m[1]] = m[2];
    // staff: "name password TOTP-SECRET role" (the secret: base32)
    else if ((m = line.trim().match(/^(\S+) (\S+) ([A-Z2-7]{32}) (\S+)$/))) res.staff[m[1]] = { password: m[2], secret: m[3], role: m[4] };
  }
  return res;
}

// The authenticator's current code for a base32 TOTP secret (oathtool).
const totp = (secret) => spawnSync('oathtool', ['--totp', '-b', secret], { encoding: 'utf8' }).stdout.trim();

// A date `days` after today in Japan (the policy's UTC+9, which the server
// uses for deadlines and fees), YYYY-MM-DD.
function isoDate(days) {
  return new Date(Date.now() + 9 * 3600000 + days * 86400000).toISOString().slice(0, 10);
}

// --- e-mail written by the mailer as DATA/mail/out/<order>-<kind>-<id>.eml

function decodeWords(s) {
  // Whitespace between two encoded words is not part of the text (RFC 2047).
  return s.replace(/(\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (all, cs, enc, text) => {
      if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
      return Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g,
        (x, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
    });
}

// Parses one .eml: { headers (lower-case names → decoded value), subject,
// body (decoded text), link (the my-order link or null), raw }.
function parseEml(raw) {
  const i = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  if (i < 0) throw new Error('no header/body separator');
  const head = raw.slice(0, i).replace(/\r?\n[ \t]+/g, ' ');
  const rawBody = raw.slice(i).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const k = line.indexOf(':');
    if (k > 0) headers[line.slice(0, k).trim().toLowerCase()] = decodeWords(line.slice(k + 1).trim());
  }
  let body = rawBody;
  const cte = (headers['content-transfer-encoding'] || '').toLowerCase();
  if (cte === 'base64') body = Buffer.from(rawBody.replace(/\s+/g, ''), 'base64').toString('utf8');
  body = body.replace(/\r\n/g, '\n');
  const m = body.match(/https?:\/\/[^\s<>"]+\/my-order\/open\?t=[A-Za-z0-9_.~%-]+/);
  return { headers, subject: headers.subject || '', body, link: m ? m[0] : null, raw };
}

// The .eml files of an order (null: of any order) and kind (optional),
// oldest first by message id.
function mailFiles(dir, order, kind) {
  const out = path.join(dir, 'mail', 'out');
  let names = [];
  try { names = fs.readdirSync(out); } catch (e) { return []; }
  const re = new RegExp('^' + (order ? order.replace(/[^\w-]/g, '') : 'RP-[A-Z0-9]+') + '-' +
    (kind ? kind.replace(/\W/g, '') : '[a-z_]+') + '-\\d+\\.eml$');
  return names.filter((n) => re.test(n))
    .map((n) => ({ n, id: Number((n.match(/-(\d+)\.eml$/) || [0, 0])[1]) }))
    .sort((a, b) => a.id - b.id).map((x) => path.join(out, x.n));
}

// Waits (polling, at most timeout ms) for the newest .eml of an order (and
// kind, e.g. order_confirmed, order_changed, order_cancelled,
// my_order_link) not among `seen`; returns parseEml() of it plus file.
async function waitMail(dir, order, { kind, timeout = 15000, seen = [] } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const files = mailFiles(dir, order, kind).filter((f) => !seen.includes(f));
    if (files.length) {
      const file = files[files.length - 1];
      return { file, ...parseEml(fs.readFileSync(file, 'utf8')) };
    }
    if (Date.now() > end) {
      let list = [];
      try { list = fs.readdirSync(path.join(dir, 'mail', 'out')); } catch (e) { /* none */ }
      throw new Error('no ' + (kind || '') + ' mail for ' + order + ' within ' + timeout +
        ' ms; mail/out has: ' + JSON.stringify(list));
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// On the review page: places the order by running `press` (default: a
// click on button#place) and follows it to the done page.  Without a
// payment agent a card order answers with the pay page (POST order/confirm
// → 200, "pay later"); then the done page is opened from there.  Returns
// { number, payPage } (payPage: the pay page was shown first, and given to
// onPayPage(page) before leaving it).
async function placeFromReview(page, press, { onPayPage } = {}) {
  const base = page.url().replace(/order(\/confirm)?(\?.*)?$/, '');
  await Promise.all([page.waitForURL(/\/order\/(done|confirm)$/),
    press ? press() : page.click('button#place')]);
  let payPage = false;
  if (/\/order\/confirm$/.test(page.url())) {
    payPage = true;
    const n = (await page.textContent('#order-number')).trim();
    if (onPayPage) await onPayPage(page);
    await page.goto(base + 'order/done');
    const m = (await page.textContent('#order-number')).trim();
    if (m !== n) throw new Error('pay page shows ' + n + ', done page ' + m);
  }
  return { number: (await page.textContent('#order-number')).trim(), payPage };
}

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// Presses Tab (at most max times) until the focused element matches selector,
// as a keyboard-only user would; throws if it never gets there.
async function tabTo(page, selector, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => !!document.activeElement && document.activeElement.matches(s), selector))
      return i + 1;
  }
  throw new Error('Tab never reached ' + selector);
}

async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

module.exports = {
  startServer, launch, screenshot, freePort, readLogins, totp, isoDate, tabTo,
  parseEml, mailFiles, waitMail, placeFromReview,
};
