#!/usr/bin/env node
// Black-box upload test driving the real, unmodified mwn (npm).
//
// Client: mwn 3.0.3 (pinned in package.json / package-lock.json).
// Last confirmed against the reference MediaWiki: 2026-11-29, MediaWiki 1.39.17 (shared/reference-mediawiki/setup.sh): all checks passed (tests/clients/run.sh: 30 passed, 0 failed).
//
// Run (after `npm ci` in this directory):
//   API_URL=http://127.0.0.1:8080/w/api.php BOT_USER='Admin@bot' BOT_PASS=... node mwn_upload.mjs
//
// Environment:
//   API_URL, BOT_USER, BOT_PASS   (required) bot-password login "User@suffix"
//   BIG_SIDE    side in pixels of the large noise PNG (default 2048 -> ~12 MiB)
//   SKIP_URL=1  skip the uploadFromUrl() test (counted as skipped)
//   TRACE=1     print every HTTP exchange (otherwise only the last few on a failure)
//
// Prints one PASS/FAIL line per check and a final "N passed, M failed" line;
// exit status is 0 only if nothing failed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mwnPkg from 'mwn';
import lib from './lib.js';

const { Mwn } = mwnPkg;
const { makePng, sha1, expect, check, summary, serveBytes, runId, record } = lib;

const { API_URL, BOT_USER, BOT_PASS } = process.env;
const BIG_SIDE = parseInt(process.env.BIG_SIDE || '2048', 10);
const SKIP_URL = process.env.SKIP_URL === '1';
if (!API_URL || !BOT_USER || !BOT_PASS) {
  console.error('API_URL, BOT_USER and BOT_PASS must be set');
  process.exit(2);
}
const MAIN_USER = BOT_USER.split('@')[0];

function describeData(data) {
  if (data == null) return '';
  if (typeof data === 'string') return data.slice(0, 600);
  if (data._streams) {
    // form-data: header strings and values; file streams elided
    return data._streams
      .map((s) => (typeof s === 'string'
        ? s.replace(/\r\n/g, ' ').replace(/-{10,}\d+/g, '--B').trim().slice(0, 160)
        : typeof s === 'function' ? '' : '<file stream>'))
      .filter(Boolean).join(' ').slice(0, 900);
  }
  return `<${typeof data}>`;
}

function installTrace(bot) {
  const log = (resp, err) => {
    const cfg = (resp && resp.config) || (err && err.config) || {};
    const params = cfg.params ? new URLSearchParams(cfg.params).toString() : '';
    let body;
    if (resp) {
      const d = resp.data;
      body = Buffer.isBuffer(d) || d instanceof ArrayBuffer || (d && d.pipe)
        ? `<${resp.headers['content-length'] || '?'} bytes>`
        : JSON.stringify(d).slice(0, 500);
    }
    record(`${(cfg.method || '?').toUpperCase()} ${cfg.url}${params ? '?' + params : ''}\n`
      + `      body: ${describeData(cfg.data)}\n`
      + `      -> ${resp ? resp.status : 'ERR ' + (err && err.message)} ${body || ''}`);
  };
  bot.axiosInstance.interceptors.response.use(
    (resp) => { log(resp); return resp; },
    (err) => { log(err.response, err); return Promise.reject(err); },
  );
}

async function main() {
  const run = runId();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mwupload-mwn-'));
  const files = {};
  const write = (key, data) => {
    const p = path.join(tmp, `${key}.png`);
    fs.writeFileSync(p, data);
    files[key] = { path: p, data };
  };
  for (const k of ['a', 'b', 'c', 'u']) write(k, makePng(24, 24));
  write('big', makePng(BIG_SIDE, BIG_SIDE));
  console.log(`run id ${run}; mwn ${JSON.parse(fs.readFileSync(new URL('./node_modules/mwn/package.json', import.meta.url))).version}; `
    + `big file ${files.big.data.length} bytes`);

  const name = (suffix) => `Acc-mwn-${run}-${suffix}.png`;
  const state = {};
  let bot;

  async function history(title) {
    const res = await bot.request({
      action: 'query', titles: `File:${title}`, prop: 'imageinfo',
      iiprop: 'sha1|size|url|timestamp', iilimit: 50,
    });
    const page = res.query.pages[0];
    expect(!page.missing, `File:${title} is missing`);
    return page.imageinfo || [];
  }

  async function verify(title, data, versions) {
    const ii = await history(title);
    expect(ii.length > 0, `File:${title}: no imageinfo`);
    expect(ii[0].sha1 === sha1(data), `File:${title}: imageinfo sha1 ${ii[0].sha1} != local ${sha1(data)}`);
    expect(Number(ii[0].size) === data.length, `File:${title}: imageinfo size ${ii[0].size} != ${data.length}`);
    if (versions !== undefined) {
      expect(ii.length === versions, `File:${title}: expected ${versions} file versions, got ${ii.length}`);
    }
    // mwn's own download(): prop=imageinfo&iiprop=url, then GET of the (absolute) URL
    const out = path.join(tmp, `dl-${title}`);
    await bot.download(`File:${title}`, out);
    const got = fs.readFileSync(out);
    expect(got.equals(data), `File:${title}: bot.download() gave ${got.length} bytes, sha1 ${sha1(got)}`);
    expect(/^https?:\/\//.test(ii[0].url), `File:${title}: url not absolute: ${ii[0].url}`);
  }

  await check('Mwn.init: login with bot password + tokens/siteinfo', async () => {
    bot = new Mwn({
      apiUrl: API_URL, username: BOT_USER, password: BOT_PASS,
      userAgent: 'mwupload-client-tests/1.0 (mwn)', silent: true, maxRetries: 1, retryPause: 1000,
    });
    installTrace(bot);
    await bot.login();
    expect(bot.loggedIn, 'bot.loggedIn is false');
    expect(bot.csrfToken && bot.csrfToken !== '+\\', `csrf token ${bot.csrfToken}`);
    const ui = await bot.userinfo({ uiprop: 'rights' });
    expect(ui.name === MAIN_USER, `userinfo.name ${ui.name}`);
    expect(Array.isArray(ui.rights) && ui.rights.includes('upload'), 'no upload right');
    const t = new bot.Title(`File:${name('x')}`);
    expect(t.getNamespaceId() === 6, `File: namespace id ${t.getNamespaceId()}`);
    state.login = true;
  });
  if (!state.login) process.exit(summary());

  await check('upload() of a small file + imageinfo sha1 + download()', async () => {
    const res = await bot.upload(files.a.path, name('small'), 'mwn upload test', { comment: 'mwn test: small' });
    expect(res.result === 'Success', `upload result ${JSON.stringify(res)}`);
    expect(res.filename === name('small'), `filename ${res.filename}`);
    await verify(name('small'), files.a.data, 1);
    state.small = true;
  });

  await check('re-upload identical bytes, {ignorewarnings:false} -> Warning exists+nochange', async () => {
    expect(state.small, 'depends on the small upload');
    const res = await bot.upload(files.a.path, name('small'), 'again',
      { ignorewarnings: false, comment: 'mwn test: same bytes' });
    expect(res.result === 'Warning', `upload result ${JSON.stringify(res)}`);
    const keys = Object.keys(res.warnings || {});
    expect(keys[0] === 'exists' && keys.includes('nochange'), `warnings ${JSON.stringify(res.warnings)}`);
    expect(res.filekey, `no filekey in ${JSON.stringify(res)}`);
    await verify(name('small'), files.a.data, 1);
  });

  await check('new version (mwn default ignorewarnings=1) -> Success with ignored warnings', async () => {
    expect(state.small, 'depends on the small upload');
    const res = await bot.upload(files.b.path, name('small'), 'v2', { comment: 'mwn test: v2' });
    expect(res.result === 'Success', `upload result ${JSON.stringify(res)}`);
    expect(res.warnings && 'exists' in res.warnings, `Success lacks the ignored exists warning: ${JSON.stringify(res)}`);
    await verify(name('small'), files.b.data, 2);
    state.v2 = true;
  });

  await check('identical bytes with ignorewarnings -> error fileexists-no-change', async () => {
    expect(state.v2, 'depends on the new version');
    let err;
    try {
      const res = await bot.upload(files.b.path, name('small'), 'v2 again', { comment: 'mwn test: v2 again' });
      err = new Error(`no error; result ${JSON.stringify(res)}`);
    } catch (e) {
      expect(e.code === 'fileexists-no-change', `error code ${e.code}: ${e.info}`);
    }
    if (err) throw err;
    await verify(name('small'), files.b.data, 2);
  });

  await check(`single-request upload of ${files.big.data.length} bytes`, async () => {
    const res = await bot.upload(files.big.path, name('big'), 'mwn big upload', { comment: 'mwn test: big' });
    expect(res.result === 'Success', `upload result ${JSON.stringify(res)}`);
    await verify(name('big'), files.big.data, 1);
  });

  await check('uploadFromUrl()', async () => {
    const srv = await serveBytes({ 'u.png': files.u.data });
    let res;
    try {
      const url = `http://127.0.0.1:${srv.address().port}/u.png`;
      res = await bot.uploadFromUrl(url, name('url'), 'mwn URL upload', { comment: 'mwn test: url' });
    } finally {
      srv.close();
    }
    expect(res.result === 'Success', `upload result ${JSON.stringify(res)}`);
    await verify(name('url'), files.u.data, 1);
  }, SKIP_URL ? 'SKIP_URL=1' : undefined);

  fs.rmSync(tmp, { recursive: true, force: true });
  return summary();
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
