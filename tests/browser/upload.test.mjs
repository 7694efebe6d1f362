// The upload pages in a real browser: Debian's chromium driven by playwright-core.
//
//   BASE_URL=http://127.0.0.1:PORT ADMIN_USER=Admin ADMIN_PASS=... node upload.test.mjs
//
// Logs in, uploads a 20 MiB file in chunks while the progress bar advances, pauses and resumes
// it, reloads the page mid-upload and resumes from the server's offset, answers an `exists`
// warning both ways (upload anyway, change name), drops several files at once, uploads without
// JavaScript, checks that hostile names and descriptions stay text, and opens the file page and
// the lists. Screenshots of each page go to SCREENSHOTS (default docs/screenshots).
import { chromium } from 'playwright-core';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = (process.env.BASE_URL || '').replace(/\/$/, '');
const USER = process.env.ADMIN_USER || 'Admin';
const PASS = process.env.ADMIN_PASS;
const SHOTS = process.env.SCREENSHOTS || path.join(HERE, '..', '..', 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!BASE || !PASS) {
  console.error('set BASE_URL and ADMIN_PASS');
  process.exit(2);
}
fs.mkdirSync(SHOTS, { recursive: true });
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'mwupload-browser-'));

// ---- tiny test runner ------------------------------------------------------------------------
let passed = 0;
let failed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
  }
}
function assert(cond, msg) {
  if (!cond) { throw new Error('assertion failed: ' + msg); }
}

// ---- PNGs: valid files of any size (stored deflate of random pixels) ----------------------------
function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) { c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; }
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(width, height, seed, random = true) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  const row = width * 4 + 1;
  const raw = random ? crypto.randomBytes(row * height) : Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    raw[y * row] = 0;
    for (let x = 0; x < width; x++) {
      const i = y * row + 1 + x * 4;
      if (random) { raw[i + 3] = 255; continue; }
      // An opaque gradient, different for every seed.
      raw[i] = (x * 255 / width + seed * 37) & 0xff; raw[i + 1] = (y * 255 / height + seed * 11) & 0xff; raw[i + 2] = (seed * 67) & 0xff; raw[i + 3] = 255;
    }
  }
  const idat = zlib.deflateSync(raw, { level: random ? 0 : 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
function sha1(buf) { return crypto.createHash('sha1').update(buf).digest('hex'); }

// ---- the API, from node, with the browser's cookies ---------------------------------------------
async function apiGet(context, params) {
  const cookies = await context.cookies(BASE);
  const qs = new URLSearchParams({ format: 'json', formatversion: '2', ...params });
  const r = await fetch(`${BASE}/w/api.php?${qs}`, { headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') } });
  return r.json();
}
async function imageinfo(context, name) {
  const j = await apiGet(context, { action: 'query', prop: 'imageinfo', titles: `File:${name}`, iiprop: 'size|sha1', iilimit: '10' });
  return j.query.pages[0].imageinfo || [];
}

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
const page = await context.newPage();
const dialogs = [];
page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
const shot = (name, p = page) => p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

const BIG_NAME = 'Browser big upload.png';
const BIG_KEY = BIG_NAME.replace(/ /g, '_');
// 2560 x 2048 RGBA, stored: 20 MiB and a bit.
const big = png(2560, 2048, 1);
const bigPath = path.join(TMP, 'big-upload.png');
fs.writeFileSync(bigPath, big);

await step('landing page', async () => {
  const r = await page.goto(`${BASE}/`);
  assert(r.status() === 200, 'status ' + r.status());
  assert(r.headers()['x-frame-options'] === 'DENY', 'X-Frame-Options');
  for (const href of ['/wiki/Special:Upload', '/wiki/Special:ListFiles', '/wiki/Special:UserLogin']) {
    assert(await page.locator(`a[href="${href}"]`).count() > 0, 'link ' + href);
  }
  await shot('landing');
});

await step('log in on Special:UserLogin', async () => {
  await page.goto(`${BASE}/wiki/Special:UserLogin?returnto=Special:Upload`);
  await page.fill('input[name=wpName]', USER);
  await page.fill('input[name=wpPassword]', PASS);
  await shot('login');
  await Promise.all([page.waitForURL(/Special:Upload/), page.click('#wpLoginAttempt')]);
  assert((await page.textContent('header .username')).trim() === USER, 'user name in the header');
  const j = await apiGet(context, { action: 'query', meta: 'userinfo' });
  assert(j.query.userinfo.name === USER, 'API sees the same session: ' + JSON.stringify(j));
});

await step('20 MiB in chunks: progress advances, pause and resume, reload and resume', async () => {
  await page.goto(`${BASE}/wiki/Special:Upload`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  // Slow the upload down so that a person (and this test) can watch it: ~4 MiB/s.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
  await page.setInputFiles('#wpUploadFile', bigPath);
  await page.fill('#wpDestFile', BIG_NAME);
  await page.fill('#wpUploadDescription', 'A big noisy picture, uploaded in chunks by the browser test.');
  await page.click('#wpUpload');
  const bar = page.locator('#mw-upload-list li.item progress').first();
  const seen = [];
  const t0 = Date.now();
  while (Date.now() - t0 < 60000) {
    const v = Number(await bar.getAttribute('value').catch(() => '0')) || await bar.evaluate((b) => b.value).catch(() => 0);
    seen.push(v);
    if (v > big.length * 0.15) { break; }
    await page.waitForTimeout(100);
  }
  const distinct = [...new Set(seen.filter((v) => v > 0))];
  assert(distinct.length >= 3, 'progress bar advanced in steps: ' + distinct.join(','));
  for (let i = 1; i < distinct.length; i++) { assert(distinct[i] >= distinct[i - 1], 'progress never goes back'); }
  await shot('upload-progress');

  // Pause: nothing moves; resume: it goes on.
  await page.click('#mw-upload-list button.pause');
  await page.waitForSelector('#mw-upload-list li.item[data-state="paused"]');
  const pausedAt = await bar.evaluate((b) => b.value);
  await page.waitForTimeout(800);
  assert(await bar.evaluate((b) => b.value) === pausedAt, 'paused upload does not move');
  await page.click('#mw-upload-list button.resume');
  await page.waitForFunction((p) => document.querySelector('#mw-upload-list progress').value > p + 1024 * 1024, pausedAt, { timeout: 60000 });

  // A dropped connection: requests fail, the page says so and retries, and the upload goes on
  // from the offset the server kept.
  await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.waitForSelector('#mw-upload-list li.item[data-state="retrying"]', { timeout: 30000 });
  const offlineAt = await bar.evaluate((b) => Number(b.getAttribute('data-offset')));
  await shot('upload-retrying');
  await page.waitForTimeout(1500);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
  await page.waitForFunction((o) => Number(document.querySelector('#mw-upload-list progress').getAttribute('data-offset')) > o, offlineAt, { timeout: 60000 });

  // Reload in the middle: filekey and offset survive in localStorage.
  await page.waitForFunction(() => document.querySelector('#mw-upload-list progress').value > 0.4 * document.querySelector('#mw-upload-list progress').max, null, { timeout: 60000 });
  await page.reload();
  const stored = await page.evaluate(() => Object.entries(localStorage).filter(([k]) => k.startsWith('mwupload:uploads:')).map(([, v]) => JSON.parse(v)));
  const entry = Object.values(stored[0] || {})[0];
  assert(entry && entry.filekey && entry.offset > 0 && entry.offset < big.length, 'pending upload kept: ' + JSON.stringify(stored));
  await page.waitForSelector('#mw-upload-list li.item[data-state="waiting-for-file"]');
  await shot('upload-resume');
  await page.setInputFiles('#wpUploadFile', bigPath);
  await page.click('#wpUpload');
  // Every offset the resumed upload shows, until it is done: never back at 0.
  const offsets = [];
  const t1 = Date.now();
  while (Date.now() - t1 < 120000) {
    const st = await page.getAttribute('#mw-upload-list li.item', 'data-state');
    const off = Number(await page.getAttribute('#mw-upload-list li.item progress', 'data-offset'));
    offsets.push(off);
    if (st === 'done') { break; }
    assert(st !== 'failed', 'resumed upload failed: ' + await page.textContent('#mw-upload-list li.item'));
    await page.waitForTimeout(50);
  }
  assert(await page.getAttribute('#mw-upload-list li.item', 'data-state') === 'done', 'resumed upload finished');
  assert(offsets.length > 2 && Math.min(...offsets) > 0, 'resumed at the server offset, never from 0: ' + offsets.slice(0, 5).join(','));
  assert(offsets[0] >= entry.offset - 2 * 1024 * 1024, 'resumed near the stored offset ' + entry.offset + ': ' + offsets[0]);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await shot('upload-done');
  const ii = await imageinfo(context, BIG_NAME);
  assert(ii.length === 1 && ii[0].size === big.length && ii[0].sha1 === sha1(big), 'the server has exactly our bytes: ' + JSON.stringify(ii));
  const leftover = await page.evaluate(() => Object.entries(localStorage).filter(([k, v]) => k.startsWith('mwupload:uploads:') && v !== '{}').length);
  assert(leftover === 0, 'finished upload forgotten');
});

const small = png(64, 48, 7, false);
const smallPath = path.join(TMP, 'small.png');
fs.writeFileSync(smallPath, small);

await step('exists warning: MediaWiki\'s choices (upload anyway, change name)', async () => {
  await page.goto(`${BASE}/wiki/Special:Upload`);
  await page.setInputFiles('#wpUploadFile', smallPath);
  await page.fill('#wpDestFile', BIG_NAME);
  await page.click('#wpUpload');
  await page.waitForSelector('#mw-upload-list li.item[data-state="warning"] li[data-warning="exists"]', { timeout: 30000 });
  await shot('upload-warning');
  await page.click('#mw-upload-list li.item[data-state="warning"] button.ignore');
  await page.waitForSelector('#mw-upload-list li.item[data-state="done"]');
  let ii = await imageinfo(context, BIG_NAME);
  assert(ii.length === 2 && ii[0].sha1 === sha1(small), 'new version on top: ' + JSON.stringify(ii));

  const small2 = png(64, 48, 8, false);
  const p2 = path.join(TMP, 'small2.png');
  fs.writeFileSync(p2, small2);
  await page.goto(`${BASE}/wiki/Special:Upload`);
  await page.setInputFiles('#wpUploadFile', p2);
  await page.fill('#wpDestFile', BIG_NAME);
  await page.click('#wpUpload');
  await page.waitForSelector('#mw-upload-list li.item[data-state="warning"] li[data-warning="exists"]', { timeout: 30000 });
  await page.fill('#mw-upload-list input.rename', 'Browser renamed.png');
  await page.click('#mw-upload-list button.rename');
  await page.waitForSelector('#mw-upload-list li.item[data-state="done"]');
  ii = await imageinfo(context, 'Browser renamed.png');
  assert(ii.length === 1 && ii[0].sha1 === sha1(small2), 'renamed upload: ' + JSON.stringify(ii));
});

await step('drag and drop of several files', async () => {
  await page.goto(`${BASE}/wiki/Special:Upload`);
  const files = [1, 2, 3].map((i) => ({ name: `Dropped ${i}.png`, b64: png(16 + i, 16, 40 + i, false).toString('base64') }));
  await page.evaluate((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const bin = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bin], f.name, { type: 'image/png' }));
    }
    document.querySelector('#mw-upload-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);
  await page.waitForFunction(() => document.querySelectorAll('#mw-upload-list li.item[data-state="done"]').length === 3, null, { timeout: 30000 });
  await shot('upload-dropped');
  for (const f of files) {
    const ii = await imageinfo(context, f.name);
    assert(ii.length === 1, f.name + ' uploaded');
  }
});

await step('hostile file name and description stay text', async () => {
  await page.goto(`${BASE}/wiki/Special:Upload`);
  const evil = png(10, 10, 66, false);
  const p = path.join(TMP, 'evil.png');
  fs.writeFileSync(p, evil);
  await page.setInputFiles('#wpUploadFile', p);
  await page.fill('#wpDestFile', 'Evil "quote\' & <b>bold</b> onerror=alert(1).png');
  await page.fill('#wpUploadDescription', '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>');
  await page.click('#wpUpload');
  await page.waitForSelector('#mw-upload-list li.item[data-state="warning"], #mw-upload-list li.item[data-state="done"], #mw-upload-list li.item[data-state="failed"]', { timeout: 30000 });
  if (await page.locator('#mw-upload-list li.item[data-state="warning"]').count()) {
    await page.click('#mw-upload-list button.ignore');
    await page.waitForSelector('#mw-upload-list li.item[data-state="done"]', { timeout: 30000 });
  }
  const href = await page.getAttribute('#mw-upload-list li.item[data-state="done"] a', 'href');
  assert(href, 'a file page link');
  for (const url of [href, '/wiki/Special:ListFiles', '/wiki/Special:Upload']) {
    await page.goto(BASE + url);
    assert(await page.evaluate(() => window.__xss) === undefined, 'no script ran on ' + url);
    assert(await page.locator('img[src="x"], b:has-text("bold")').count() === 0, 'no injected element on ' + url);
  }
  await page.goto(BASE + href);
  const text = await page.textContent('.description');
  assert(text.includes('<img src=x onerror="window.__xss=1">'), 'description shown as text: ' + text);
  await shot('escaping');
  assert(dialogs.length === 0, 'no dialogs: ' + dialogs.join(','));
});

await step('file page', async () => {
  const r = await page.goto(`${BASE}/wiki/File:${BIG_KEY}`);
  assert(r.status() === 200, 'status');
  const body = await page.textContent('main');
  assert(body.includes('2560 × 2048 pixels') || body.includes('64 × 48 pixels'), 'dimensions');
  assert(body.includes('image/png'), 'MIME type');
  assert(await page.locator('table.filehistory tbody tr').count() === 2, 'two versions in the history');
  assert(await page.locator('table.filehistory a:has-text("revert")').count() === 1, 'revert link for the old version');
  assert(await page.locator('ul.log li').count() >= 2, 'upload log');
  const img = page.locator('#file img');
  const w = await img.evaluate((i) => i.getBoundingClientRect().width);
  assert(w > 0 && w <= 1200, 'image scaled into the page: ' + w);
  await shot('file-page');
  const missing = await page.goto(`${BASE}/wiki/File:No_such_file_here.png`);
  assert(missing.status() === 404, 'missing file is 404');
  assert(await page.locator('a[href*="Special:Upload?wpDestFile=No_such_file_here.png"]').count() === 1, 'upload link');
  await shot('file-missing');
});

await step('Special:ListFiles and Special:UploadStash', async () => {
  await page.goto(`${BASE}/wiki/Special:ListFiles?limit=20`);
  assert(await page.locator('table.listfiles tbody tr').count() >= 6, 'files listed');
  await shot('listfiles');
  await page.click('table.listfiles th a:has-text("Name")');
  const names = await page.locator('table.listfiles td.name').allTextContents();
  const sorted = [...names].sort();
  assert(JSON.stringify(names) === JSON.stringify(sorted), 'sorted by name: ' + names.join(' | '));
  // Something in the stash: a file stashed through the API from the page (stash=1).
  const stashed = await page.evaluate(async (b64) => {
    const t = await (await fetch('/w/api.php?action=query&meta=tokens&format=json')).json();
    const fd = new FormData();
    fd.append('action', 'upload'); fd.append('stash', '1'); fd.append('filename', 'Stashed from the browser.png');
    fd.append('token', t.query.tokens.csrftoken); fd.append('format', 'json');
    fd.append('file', new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' }), 'x.png');
    return (await fetch('/w/api.php', { method: 'POST', body: fd })).json();
  }, png(32, 32, 5, false).toString('base64'));
  const key = stashed.upload && stashed.upload.filekey;
  assert(key, 'stashed: ' + JSON.stringify(stashed));
  await page.goto(`${BASE}/wiki/Special:UploadStash`);
  assert((await page.textContent('h1')).includes('Upload stash'), 'stash page');
  assert(await page.locator(`table.stash td.filekey:has-text("${key}")`).count() === 1, 'the stashed file is listed');
  await shot('uploadstash');
});

await step('phone-sized upload page', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await phone.addCookies(await context.cookies(BASE));
  const p = await phone.newPage();
  await p.goto(`${BASE}/wiki/Special:Upload`);
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, 'no horizontal scrolling on a phone: ' + overflow);
  await shot('upload-phone', p);
  await phone.close();
});

await step('accessibility: axe-core finds no serious or critical problem on any page', async () => {
  // (axe is injected as a script, so this context ignores the pages' CSP.)
  const a11y = await browser.newContext({ bypassCSP: true });
  await a11y.addCookies(await context.cookies(BASE));
  const p = await a11y.newPage();
  const axePath = path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js');
  const problems = [];
  // A control: axe does report a picture without a text alternative.
  await p.setContent('<!DOCTYPE html><html lang="en"><title>t</title><body><main><img src="data:,"></main></body></html>');
  await p.addScriptTag({ path: axePath });
  const control = await p.evaluate(async () => (await window.axe.run()).violations.map((v) => v.id));
  assert(control.includes('image-alt'), 'axe works: ' + control.join(','));
  for (const url of ['/', '/wiki/Special:Upload', `/wiki/File:${BIG_KEY}`, '/wiki/File:Nope.png', '/wiki/Special:ListFiles',
    '/wiki/Special:UploadStash', `/w/index.php?title=File:${BIG_KEY}&action=delete`]) {
    await p.goto(BASE + url);
    await p.addScriptTag({ path: axePath });
    const res = await p.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`));
    for (const r of res) { problems.push(`${url}: ${r}`); }
  }
  const anon = await browser.newContext({ bypassCSP: true });
  const q = await anon.newPage();
  await q.goto(BASE + '/wiki/Special:UserLogin');
  await q.addScriptTag({ path: axePath });
  const res = await q.evaluate(async () => (await window.axe.run()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id));
  for (const r of res) { problems.push(`Special:UserLogin: ${r}`); }
  await anon.close();
  await a11y.close();
  assert(problems.length === 0, problems.join('\n'));
});

await step('without JavaScript: the plain form post', async () => {
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  await nojs.addCookies(await context.cookies(BASE));
  const p = await nojs.newPage();
  await p.goto(`${BASE}/wiki/Special:Upload`);
  assert(await p.locator('#mw-upload-drop').isHidden(), 'no drop zone without JS');
  const f = png(30, 20, 99, false);
  const fp = path.join(TMP, 'nojs.png');
  fs.writeFileSync(fp, f);
  await p.setInputFiles('#wpUploadFile', fp);
  await p.fill('#wpDestFile', 'No script.png');
  await p.fill('#wpUploadDescription', 'Uploaded with a plain form post');
  await shot('upload-form-nojs', p);
  await Promise.all([p.waitForURL(/File:No_script\.png/), p.click('#wpUpload')]);
  assert((await p.textContent('main')).includes('30 × 20 pixels'), 'file page after the post');
  // And the warning form without JS.
  await p.goto(`${BASE}/wiki/Special:Upload`);
  await p.setInputFiles('#wpUploadFile', smallPath);
  await p.fill('#wpDestFile', 'No script.png');
  await p.click('#wpUpload');
  await p.waitForSelector('li[data-warning="exists"]');
  await shot('upload-warning-nojs', p);
  await Promise.all([p.waitForURL(/File:No_script\.png/), p.click('#wpUploadIgnoreWarning')]);
  await nojs.close();
});

await browser.close();
fs.rmSync(TMP, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
