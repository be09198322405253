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

// Starts seeded rentport; returns { url, dir, stop() }.
async function startServer({ seed = ['--demo'] } = {}) {
  if (!BIN) throw new Error('RENTPORT_BIN is not set');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rentport-e2e-'));
  if (seed) {
    const r = spawnSync(BIN, ['seed', ...seed, '--data-dir=' + dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('seed failed: ' + r.stderr);
  }
  const port = await freePort();
  const args = ['serve', '--data-dir=' + dir, '--port=' + port, '--workers=1',
    '--alog-http-port=' + await freePort(), '--witness-port=' + await freePort()];
  const out = fs.openSync(path.join(dir, 'server.log'), 'a');
  const proc = spawn(BIN, args, { stdio: ['ignore', out, out] });
  const url = 'http://localhost:' + port;
  await waitUp(url + '/healthz', 30000);
  return {
    url, dir, proc,
    async stop() {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await done;
      if (!process.env.RENTPORT_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

module.exports = { startServer, launch, screenshot, freePort };
