// The web console in a real browser (Debian's Chromium, headless, driven by
// playwright-core) against a real streamhostd with datagen streams.
// Environment: STREAMHOST_TEST_DAEMON, STREAMHOST_TEST_PLUGIN_DIR,
// CONSOLE_ASSETS_DIR, CONSOLE_NODE_MODULES, SCREENSHOT_DIR, CHROMIUM (optional).
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const env = (k, d) => {
  const v = process.env[k] || d;
  if (!v) { console.error(`${k} is not set`); process.exit(2); }
  return v;
};
const daemonBin = env('STREAMHOST_TEST_DAEMON');
const pluginDir = env('STREAMHOST_TEST_PLUGIN_DIR');
const assetsDir = env('CONSOLE_ASSETS_DIR');
const shots = env('SCREENSHOT_DIR');
const chromiumBin = env('CHROMIUM', '/usr/bin/chromium');
const BUDGET_MS = Number(process.env.CONSOLE_TEST_BUDGET_MS || 240000);
if (!fs.existsSync(chromiumBin)) {
  console.error(`${chromiumBin} is missing: install Debian's chromium (scripts/install-deps.sh test)`);
  process.exit(1);
}
const require = createRequire(path.join(env('CONSOLE_NODE_MODULES'), 'x.js'));
const { chromium } = require('playwright-core');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'streamhost-test-console-'));
const dataDir = path.join(tmp, 'data');
fs.mkdirSync(shots, { recursive: true });
let daemon = null;
let browser = null;
let failed = false;

function cleanup() {
  if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));
const budget = setTimeout(() => {
  console.error(`FAILED: over the time budget of ${BUDGET_MS} ms`);
  printLog();
  process.exit(1);
}, BUDGET_MS);

function printLog() {
  try {
    const log = fs.readFileSync(path.join(tmp, 'daemon.log'), 'utf8');
    console.error('----- streamhostd log (tail) -----\n' + log.split('\n').slice(-60).join('\n'));
  } catch { /* no log yet */ }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

function makeKey(name, scopes) {
  const r = spawnSync(daemonBin, ['--data-dir', dataDir, '--plugin-dir', pluginDir, 'keys', 'create',
    '--name', name, '--scopes', scopes], { encoding: 'utf8' });
  assert.equal(r.status, 0, `keys create failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').pop().trim();
}

async function waitFor(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

let base = '';
let adminKey = '';
async function call(method, p, body, key = adminKey) {
  const r = await fetch(base + p, {
    method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null, headers: r.headers };
}

const steps = [];
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    steps.push(`ok   ${name} (${Date.now() - t0} ms)`);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed = true;
    console.error(`FAIL ${name}: ${e.stack || e}`);
    throw e;
  }
}

async function main() {
  fs.mkdirSync(dataDir, { mode: 0o700 });
  adminKey = makeKey('admin', 'admin');
  const readKey = makeKey('viewer', 'streams:read,pipelines:read,connections:read');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(path.join(tmp, 'daemon.log'), 'a');
  // setpriv: the daemon dies with this process, even when it is killed.
  daemon = spawn('setpriv', ['--pdeathsig', 'KILL', '--', daemonBin, '--data-dir', dataDir, '--plugin-dir', pluginDir,
    '--listen', `127.0.0.1:${port}`, '--set', `console.assets_dir=${assetsDir}`,
    '--set', 'limits.api_requests_per_second=0'], { stdio: ['ignore', log, log] });
  await waitFor('/healthz', async () => (await fetch(base + '/healthz')).ok);

  // A pipeline with bounded retention and a few datagen streams.
  const pl = await call('POST', '/api/pipelines', { name: 'demo', retention: { max_bytes: 8 << 20 } });
  assert.equal(pl.status, 201, JSON.stringify(pl.json));
  const plId = pl.json.data.id;
  const mk = async (name, sourceType, config) => {
    const r = await call('POST', '/api/streams', { name, sourceType, pipelineId: plId, config });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    return r.json.data.id;
  };
  const genA = await mk('gen-a', 'datagen', { rate_per_second: 40, payload_bytes: 16 });
  const genB = await mk('gen-b', 'datagen', { rate_per_second: 20, payload_bytes: 16 });
  await mk('gen-c', 'datagen', { rate_per_second: 5 });
  const hook = await mk('hook', 'webhook', { auth: { scheme: 'none' } });
  assert.equal((await call('POST', `/api/streams/${genB}/start`)).status, 200);
  const conn = await call('POST', '/api/connections', {
    name: 'nowhere', type: 'postgres', config: { host: '127.0.0.1', port: 1, database: 'x', user: 'x', sslmode: 'disable' },
    secrets: { password: 'pw' },
  });
  assert.equal(conn.status, 201, JSON.stringify(conn.json));
  // A stream whose database is not there: it shows an error and its last_error.
  const cdc = await call('POST', '/api/streams', {
    name: 'orders-cdc', sourceType: 'postgres_cdc', pipelineId: plId, connectionId: conn.json.data.id, config: {},
  });
  assert.equal(cdc.status, 201, JSON.stringify(cdc.json));
  await call('POST', `/api/streams/${cdc.json.data.id}/start`);

  // A persistent context is how playwright takes a fresh --user-data-dir.
  browser = await chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
    executablePath: chromiumBin,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const problems = [];
  // The API's expected refusals (401, 400, 409) are logged by Chromium as
  // failed loads; anything else logged as an error is a problem.
  page.on('console', (m) => {
    const expected = m.text().startsWith('Failed to load resource') && (m.location().url || '').includes('/api/');
    if (m.type() === 'error' && !expected) problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const apiRequests = [];
  const offsite = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin !== base) offsite.push(r.url());
    if (u.pathname.startsWith('/api/')) apiRequests.push({ t: Date.now(), path: u.pathname, url: r.url() });
  });

  await step('the console is served with a strict CSP and signs in with a key', async () => {
    const res = await page.goto(`${base}/console/`);
    assert.equal(res.status(), 200);
    const csp = res.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.waitForSelector('#signin');
    await page.fill('#key', 'sk_wrong');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#signin .error');
    // Keyboard only: the key field has focus after a failure; Enter submits.
    await page.fill('#key', adminKey);
    await page.keyboard.press('Enter');
    await page.waitForSelector('table.streams tbody tr[data-name="gen-a"]');
    assert.equal(await page.textContent('#who-name'), 'admin');
    assert.ok(!page.url().includes(adminKey), 'the key is never in a URL');
    assert.ok(apiRequests.every((r) => !r.url.includes(adminKey)), 'the key is never in a request URL');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('streamhost.key')), adminKey);
  });

  await step('the list shows the summary, chips, sparklines, and filters by status and type', async () => {
    await page.waitForSelector('#health');
    await waitFor('the failing stream shows its error', async () =>
      ((await page.locator('tr[data-name="orders-cdc"] td.err').textContent()) || '').length > 0, 20000);
    assert.equal(await page.locator('tr[data-name="gen-b"] .chip').textContent(), 'running');
    await waitFor('a sparkline for gen-b', async () => (await page.locator('tr[data-name="gen-b"] .spark canvas').count()) > 0);
    await page.selectOption('#f-status', 'running');
    await waitFor('only running streams', async () => {
      const names = await page.locator('table.streams tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.name));
      return names.length === 1 && names[0] === 'gen-b';
    });
    assert.match(page.url(), /status=running/);
    await page.selectOption('#f-status', '');
    await page.selectOption('#f-source_type', 'webhook');
    await waitFor('only the webhook stream', async () => {
      const names = await page.locator('table.streams tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.name));
      return names.length === 1 && names[0] === 'hook';
    });
    await page.selectOption('#f-source_type', '');
    await page.waitForSelector('table.streams tbody tr[data-name="gen-c"]');
    // Let gen-b's sparkline fill before the picture.
    await page.waitForTimeout(5500);
    await page.screenshot({ path: path.join(shots, 'streams-list.png') });
  });

  await step('the list polls at most once a second', async () => {
    const summaries = apiRequests.filter((r) => r.path === '/api/streams/summary').map((r) => r.t);
    assert.ok(summaries.length >= 2, `summary polled ${summaries.length} times`);
    const gaps = summaries.slice(1).map((t, i) => t - summaries[i]).filter((g) => g > 50);
    // Navigations (filters) start a new view at once; refreshes keep their pace.
    assert.ok(gaps.filter((g) => g < 950).length <= 4, `gaps ${gaps}`);
  });

  await step('starting a stream fills its chart; pausing changes the chip', async () => {
    await page.click('tr[data-name="gen-a"] a');
    await page.waitForSelector('#stream-status .chip');
    assert.equal(await page.textContent('#stream-status .chip'), 'created');
    await page.click('button[data-verb="start"]');
    await waitFor('running', async () => (await page.textContent('#stream-status .chip')) === 'running');
    await waitFor('points on the events chart', async () => Number(await page.getAttribute('#chart-events', 'data-points')) >= 2, 20000);
    assert.ok(Number(await page.getAttribute('#chart-bytes', 'data-points')) >= 1);
    const t0 = apiRequests.length;
    await page.waitForTimeout(3000);
    const gets = apiRequests.slice(t0).filter((r) => r.path === `/api/streams/${genA}`);
    assert.ok(gets.length <= 3, `${gets.length} stream reads in 3 s`);
    await page.click('.switcher button:has-text("5m")');
    await waitFor('5m pressed', async () => (await page.getAttribute('.switcher button:has-text("5m")', 'aria-pressed')) === 'true');
    await page.click('.switcher button:has-text("1m")');
    await waitFor('points again', async () => Number(await page.getAttribute('#chart-events', 'data-points')) >= 2);
    await page.mouse.move(0, 0);  // no hover in the picture
    await page.screenshot({ path: path.join(shots, 'stream-charts.png'), fullPage: true });
    await page.click('button[data-verb="pause"]');
    await waitFor('paused', async () => (await page.textContent('#stream-status .chip')) === 'paused');
    assert.equal((await call('GET', `/api/streams/${genA}`)).json.data.attributes.status, 'paused');
    assert.ok(await page.isEnabled('button[data-verb="resume"]'));
    assert.ok(!(await page.isEnabled('button[data-verb="pause"]')));
    await page.click('button[data-verb="resume"]');
    await waitFor('running again', async () => (await page.textContent('#stream-status .chip')) === 'running');
  });

  await step('a webhook stream shows its ingest URL with a copy button', async () => {
    await page.goto(`${base}/console/#/streams/${hook}`);
    await page.waitForSelector('#ingest-url');
    assert.equal(await page.textContent('#ingest-url'), `${base}/ingest/${hook}`);
    assert.match(await page.textContent('pre.json'), /"auth": "\*\*\*"/);
  });

  let created = '';
  await step('the generated form shows a 400 at its field, then creates the stream', async () => {
    await page.goto(`${base}/console/#/streams/new`);
    await page.waitForSelector('#create-form');
    await page.selectOption('#f-sourceType', 'datagen');
    await page.waitForSelector('#f-config-rate_per_second');
    assert.equal(await page.getAttribute('#f-config-rate_per_second', 'placeholder'), '1000');
    await page.fill('#f-name', 'made-in-console');
    await page.fill('#f-config-rate_per_second', '-5');
    await page.click('#create-form button[type="submit"]');
    await page.waitForSelector('#f-config-rate_per_second-err:not(:empty)');
    assert.match(await page.textContent('#f-config-rate_per_second-err'), /rate_per_second/);
    assert.equal(await page.getAttribute('#f-config-rate_per_second', 'aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'f-config-rate_per_second');
    await page.screenshot({ path: path.join(shots, 'create-400.png'), fullPage: true });
    await page.fill('#f-name', 'gen-a');  // taken: a 409, shown above the form
    await page.fill('#f-config-rate_per_second', '10');
    await page.click('#create-form button[type="submit"]');
    await page.waitForSelector('#create-form .error');
    await page.fill('#f-name', 'made-in-console');
    await page.click('#create-form button[type="submit"]');
    await page.waitForURL(/#\/streams\/str_/);
    created = page.url().split('/').pop();
    const got = await call('GET', `/api/streams/${created}`);
    assert.equal(got.json.data.attributes.name, 'made-in-console');
    assert.equal(got.json.data.attributes.config.rate_per_second, 10);
  });

  await step('delete asks first, then shows the teardown report', async () => {
    await page.waitForSelector('button[data-verb="delete"]');
    await page.click('button[data-verb="delete"]');
    await page.waitForSelector('dialog[open]');
    await page.keyboard.press('Escape');
    await waitFor('the dialog closed', async () => (await page.locator('dialog[open]').count()) === 0);
    assert.equal((await call('GET', `/api/streams/${created}`)).status, 200);
    await page.click('button[data-verb="delete"]');
    await page.click('dialog[open] button.danger');
    await page.waitForSelector('dialog[open] .teardown');
    assert.match(await page.textContent('dialog[open]'), /Teardown report/);
    assert.equal((await call('GET', `/api/streams/${created}`)).status, 404);
    await page.click('dialog[open] button.primary');
    await page.waitForSelector('table.streams');
  });

  await step('the event browser pages by seq and tails live', async () => {
    await page.goto(`${base}/console/#/pipelines/${plId}?after=0`);
    await page.waitForSelector('.event');
    const first = await page.locator('.event').first().getAttribute('data-seq');
    assert.equal(first, '1');
    assert.match(await page.locator('.event pre').first().textContent(), /"n": /);
    await page.fill('#after', '5');
    await page.click('form.inline button[type="submit"]');
    await waitFor('after=5', async () => (await page.locator('.event').first().getAttribute('data-seq')) === '6');
    await page.click('#tail');
    const before = Number(await page.locator('.event').last().getAttribute('data-seq'));
    await waitFor('tail brings newer events', async () =>
      Number(await page.locator('.event').last().getAttribute('data-seq')) > before + 50, 20000);
    await page.click('#tail');
  });

  await step('a connection test shows what the plugin said', async () => {
    await page.goto(`${base}/console/#/connections`);
    await page.click('td button:has-text("Test")');
    await page.waitForSelector('.test-result strong');
    assert.equal(await page.textContent('.test-result strong'), 'Failed');
    assert.ok((await page.textContent('.test-result .sentences')).length > 5);
  });

  await step('a read-only key sees everything with the buttons disabled', async () => {
    // Another tab: its own sessionStorage, so it starts signed out.
    const p2 = await browser.newPage();
    p2.on('pageerror', (e) => problems.push(`page error (read-only): ${e.message}`));
    await p2.goto(`${base}/console/`);
    await p2.fill('#key', readKey);
    await p2.keyboard.press('Enter');
    await p2.waitForSelector('table.streams tbody tr[data-name="gen-a"]');
    assert.match(await p2.textContent('#banner'), /Read-only key/);
    assert.equal(await p2.locator('a:has-text("New stream")').count(), 0);
    await p2.click('tr[data-name="gen-a"] a');
    await p2.waitForSelector('#readonly-note');
    for (const verb of ['start', 'stop', 'pause', 'resume', 'delete']) {
      assert.ok(!(await p2.isEnabled(`button[data-verb="${verb}"]`)), `${verb} is disabled`);
    }
    await p2.screenshot({ path: path.join(shots, 'read-only.png') });
    await p2.goto(`${base}/console/#/connections`);
    await p2.waitForSelector('td button:has-text("Test")');
    assert.ok(!(await p2.isEnabled('td button:has-text("Test")')));
    await p2.close();
  });

  await step('phone width stays readable', async () => {
    // First the list at 1280×800 once the streams have run for a while.
    await page.goto(`${base}/console/#/streams`);
    await page.waitForSelector('tr[data-name="gen-a"] .spark canvas');
    await page.waitForTimeout(1500);
    await page.screenshot({ path: path.join(shots, 'streams-list-running.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/console/#/streams`);
    await page.waitForSelector('table.streams tbody tr[data-name="gen-a"]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: path.join(shots, 'streams-phone.png'), fullPage: true });
    await page.goto(`${base}/console/#/streams/${genA}`);
    await page.waitForSelector('#chart-events canvas');
    const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow2 <= 1, `the stream page scrolls sideways by ${overflow2}px`);
  });

  await step('no script error, no CSP violation, nothing fetched from elsewhere', async () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(offsite, []);
  });

  for (const id of [genA, genB]) await call('POST', `/api/streams/${id}/stop`);
}

try {
  await main();
  console.log(`console browser test: ${steps.length} steps passed; screenshots in ${shots}`);
} catch (e) {
  failed = true;
  if (!steps.length || !String(e.stack).includes('FAIL')) console.error(e.stack || e);
  printLog();
} finally {
  if (browser) await browser.close().catch(() => {});
  if (daemon && daemon.exitCode === null) {
    daemon.kill('SIGTERM');
    await Promise.race([new Promise((r) => daemon.once('exit', r)), new Promise((r) => setTimeout(r, 15000))]);
    // A clean stop exits 0; a sanitizer finding (a leak at exit) does not.
    if (daemon.exitCode !== 0) {
      failed = true;
      console.error(`FAILED: streamhostd did not stop cleanly (exit ${daemon.exitCode}, signal ${daemon.signalCode})`);
      printLog();
    }
  }
  clearTimeout(budget);
  process.exitCode = failed ? 1 : 0;
}
