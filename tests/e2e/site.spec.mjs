// Browser test of the public site: playwright-core drives Debian's chromium against a real
// `calipso serve` with content created through the JSON API (the stable contract).
//
//   CALIPSO_BIN       binary under test (default build/calipso, relative to the repository root)
//   CHROMIUM          browser executable (default /usr/bin/chromium)
//   E2E_KEEP=1        keep the temp dir (config, database, server logs) for inspection
//
// Exits 0 when every check passes; screenshots go to tests/e2e/screenshots/.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const bin = path.resolve(repoRoot, process.env.CALIPSO_BIN || 'build/calipso');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shotDir = path.join(here, 'screenshots');
const SITE_NAME = 'Calipso E2E Site';

const POSTS = [
  {
    title: 'Welcome to Calipso',
    body: 'This is the **first** post of the browser test.\n\n- one\n- two\n- three\n',
  },
  {
    title: 'Writing in Markdown',
    body:
      '## A section\n\nSome *emphasis*, a [link](https://example.com/) and code:\n\n' +
      '```\n' + 'const aLongLineOfCode = "' + 'x'.repeat(120) + '";\n```\n\n' +
      'A long address: https://example.com/' + 'a-very-long-path-segment-'.repeat(6) + '\n',
  },
  {
    title: 'A Third Post',
    body: 'Newest of the three. ' + 'Lorem ipsum dolor sit amet. '.repeat(30),
  },
];
const TARGET = POSTS[1];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function cli(configPath, words, options = [], input) {
  const r = spawnSync(bin, [...words, '--config', configPath, ...options], {
    input, encoding: 'utf8', timeout: 30000,
  });
  assert.equal(r.status, 0, `calipso ${words.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(base, proc, logs) {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      throw new Error(`calipso serve exited with ${proc.exitCode}\n${fs.readFileSync(logs.err, 'utf8')}`);
    }
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await sleep(50);
  }
  throw new Error(`calipso serve not healthy after 10 s\n${fs.readFileSync(logs.err, 'utf8')}`);
}

async function api(base, token, method, url, body) {
  const r = await fetch(base + url, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

function watchErrors(page, errors) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location()?.url || page.url();
      errors.push(`console: ${msg.text()} (${where})`);
    }
  });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message} (${page.url()})`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()} for ${res.url()}`);
  });
}

async function noHorizontalScroll(page, what) {
  const { sw, iw } = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth, iw: window.innerWidth,
  }));
  assert.ok(sw <= iw, `${what}: horizontal scroll at ${iw}px wide (scrollWidth ${sw})`);
}

async function main() {
  assert.ok(fs.existsSync(bin), `calipso binary not found at ${bin} (build it or set CALIPSO_BIN)`);
  fs.mkdirSync(shotDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'calipso-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const configPath = path.join(tmp, 'calipso.toml');
  fs.mkdirSync(path.join(tmp, 'data'));
  fs.writeFileSync(configPath, [
    `data_dir = ${JSON.stringify(path.join(tmp, 'data'))}`,
    '[server]', 'host = "127.0.0.1"', `port = ${port}`, 'threads = 2',
    '[database]', `url = ${JSON.stringify('sqlite://' + path.join(tmp, 'e2e.db'))}`,
    '[site]', `name = ${JSON.stringify(SITE_NAME)}`, '',
  ].join('\n'));

  const logs = { out: path.join(tmp, 'stdout.log'), err: path.join(tmp, 'stderr.log') };
  const server = spawn(bin, ['serve', '--config', configPath], {
    stdio: ['ignore', fs.openSync(logs.out, 'w'), fs.openSync(logs.err, 'w')],
  });
  let browser;
  let failed = false;
  try {
    await waitHealthy(base, server, logs);

    cli(configPath, ['user', 'add'], ['--email', 'e2e@example.com', '--password-stdin', '--role', 'administrator'],
      'e2e password 123\n');
    const lines = cli(configPath, ['token', 'create'], ['--user', 'e2e@example.com']).trim().split('\n');
    const token = lines[lines.length - 1].trim();
    for (const p of POSTS) {
      const r = await api(base, token, 'POST', '/api/v1/content', { ...p, status: 'published' });
      assert.equal(r.status, 201, `creating "${p.title}": ${JSON.stringify(r.json)}`);
      const item = r.json.data && typeof r.json.data === 'object' ? r.json.data : r.json;
      p.alias = item.alias;
    }

    // Playwright gives every launch a fresh, temporary user data dir.
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });

    // Desktop.
    const errors = [];
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await desktop.newPage();
    page.setDefaultTimeout(15000);
    watchErrors(page, errors);

    const home = await page.goto(base + '/', { waitUntil: 'load' });
    assert.equal(home.status(), 200, 'home page status');
    assert.ok((await page.title()).includes(SITE_NAME), `home <title> "${await page.title()}" lacks the site name`);
    for (const p of POSTS) {
      const teaser = page.getByRole('link', { name: p.title }).first();
      assert.ok(await teaser.isVisible(), `teaser link "${p.title}" not visible on the home page`);
    }
    await page.screenshot({ path: path.join(shotDir, 'home.png'), fullPage: true });

    await Promise.all([
      page.waitForURL((u) => u.pathname.startsWith('/' + TARGET.alias)),
      page.getByRole('link', { name: TARGET.title }).first().click(),
    ]);
    const heading = page.getByRole('heading', { name: TARGET.title }).first();
    assert.ok(await heading.isVisible(), `post heading "${TARGET.title}" not visible`);
    assert.ok(await page.locator('em', { hasText: 'emphasis' }).first().isVisible(), 'markdown not rendered');
    assert.ok((await page.title()).includes(TARGET.title), `post <title> "${await page.title()}" lacks the title`);
    await page.screenshot({ path: path.join(shotDir, 'post.png'), fullPage: true });

    // Phone width.
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2 });
    const mpage = await phone.newPage();
    mpage.setDefaultTimeout(15000);
    watchErrors(mpage, errors);
    assert.equal((await mpage.goto(base + '/', { waitUntil: 'load' })).status(), 200);
    for (const p of POSTS) {
      assert.ok(await mpage.getByRole('link', { name: p.title }).first().isVisible(),
        `teaser link "${p.title}" not visible at 375 px`);
    }
    await noHorizontalScroll(mpage, 'home page');
    await mpage.screenshot({ path: path.join(shotDir, 'home-375.png'), fullPage: true });
    assert.equal((await mpage.goto(`${base}/${TARGET.alias}`, { waitUntil: 'load' })).status(), 200);
    assert.ok(await mpage.getByRole('heading', { name: TARGET.title }).first().isVisible());
    await noHorizontalScroll(mpage, 'post page');
    await mpage.screenshot({ path: path.join(shotDir, 'post-375.png'), fullPage: true });

    // The themed 404 page renders without errors of its own (its 404 status is expected).
    const nf = await mpage.goto(`${base}/no-such-page-e2e`, { waitUntil: 'load' });
    assert.equal(nf.status(), 404);
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('no-such-page-e2e')));
    await noHorizontalScroll(mpage, '404 page');

    assert.deepEqual(errors, [], 'console errors or failed requests');
    console.log(`e2e: ok (screenshots in ${path.relative(process.cwd(), shotDir) || '.'})`);
  } catch (e) {
    failed = true;
    console.error('e2e: FAILED:', e.message);
    console.error(`server stderr (tail):\n${fs.readFileSync(logs.err, 'utf8').slice(-3000)}`);
  } finally {
    if (browser) await browser.close();
    if (server.exitCode !== null) {
      failed = true;
      console.error(`e2e: FAILED: calipso serve died during the test (exit ${server.exitCode})`);
    } else {
      server.kill('SIGTERM');
      const code = await Promise.race([
        new Promise((r) => server.once('exit', (c) => r(c))),
        sleep(15000).then(() => 'timeout'),
      ]);
      if (code !== 0) {
        failed = true;
        console.error(`e2e: FAILED: calipso serve exited with ${code} after SIGTERM`);
        if (code === 'timeout') server.kill('SIGKILL');
      }
    }
    if (process.env.E2E_KEEP === '1') console.log(`e2e: kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main();
