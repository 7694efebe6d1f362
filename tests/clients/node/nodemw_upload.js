#!/usr/bin/env node
// Black-box upload test driving the real, unmodified nodemw (npm).
//
// Client: nodemw 0.27.0 (pinned in package.json / package-lock.json).
// Last confirmed against the reference MediaWiki: 2026-11-29, MediaWiki 1.39.17 (shared/reference-mediawiki/setup.sh): all checks passed (tests/clients/run.sh: 30 passed, 0 failed).
//
// nodemw logs in with the legacy flow: POST action=login&lgname&lgpassword&lgdomain=
// without lgtoken -> {"login":{"result":"NeedToken","token":...}} -> the same POST again
// with lgtoken. Its upload() is a hand-built CRLF multipart POST (file part
// filename="foo", no Content-Type, ignorewarnings="", text="").
//
// Run (after `npm ci` in this directory):
//   API_URL=http://127.0.0.1:8080/w/api.php BOT_USER='Admin@bot' BOT_PASS=... node nodemw_upload.js
//
// Environment:
//   API_URL, BOT_USER, BOT_PASS   (required) bot-password login "User@suffix"
//   TRACE=1     print every API call (otherwise only the last few on a failure)
//
// Prints one PASS/FAIL line per check and a final "N passed, M failed" line;
// exit status is 0 only if nothing failed.
'use strict';
const Bot = require('nodemw');
const { makePng, sha1, expect, check, summary, serveBytes, runId, record } = require('./lib.js');

const { API_URL, BOT_USER, BOT_PASS } = process.env;
if (!API_URL || !BOT_USER || !BOT_PASS) {
  console.error('API_URL, BOT_USER and BOT_PASS must be set');
  process.exit(2);
}
const MAIN_USER = BOT_USER.split('@')[0];

function botFor(apiUrl) {
  const u = new URL(apiUrl);
  if (!u.pathname.endsWith('/api.php')) throw new Error(`API_URL must end in /api.php: ${apiUrl}`);
  return new Bot({
    protocol: u.protocol.replace(':', ''),
    server: u.hostname,
    port: u.port || undefined,
    path: u.pathname.slice(0, -'/api.php'.length),
    userAgent: 'mwupload-client-tests/1.0 (nodemw)',
    debug: false,
  });
}

// Observe (not change) every API call nodemw makes: record params and results.
const calls = [];
function installTrace(client) {
  const orig = client.api.call.bind(client.api);
  client.api.call = (params, callback, method) => {
    const shown = {};
    for (const [k, v] of Object.entries(params || {})) {
      shown[k] = Buffer.isBuffer(v) ? `<${v.length} bytes>` : v;
    }
    const entry = { method: method || 'GET', params: shown };
    calls.push(entry);
    orig(params, (err, info, next, raw) => {
      entry.err = err ? err.message : undefined;
      entry.raw = raw;
      record(`${entry.method} ${new URLSearchParams(shown).toString().slice(0, 500)}\n`
        + `      -> ${err ? 'ERROR ' + err.message : JSON.stringify(raw).slice(0, 500)}`);
      callback(err, info, next, raw);
    }, method);
  };
}

const p = (fn) => new Promise((resolve, reject) => fn((err, data, ...rest) => (err ? reject(err) : resolve([data, ...rest]))));

async function main() {
  const run = runId();
  const small = makePng(24, 24);
  const small2 = makePng(24, 24);
  const viaUrl = makePng(32, 32);
  const name = (suffix) => `Acc-nodemw-${run}-${suffix}.png`;
  console.log(`run id ${run}; nodemw ${require('nodemw/package.json').version}`);

  const client = botFor(API_URL);
  installTrace(client);
  const state = {};

  async function verify(title, data, versions) {
    const [, , raw] = await p((cb) => client.api.call({
      action: 'query', titles: `File:${title}`, prop: 'imageinfo',
      iiprop: 'sha1|size|url|timestamp', iilimit: 50,
    }, (err, info, next, r) => cb(err, info, next, r)));
    const pages = raw.query.pages;
    const page = pages[Object.keys(pages)[0]];
    expect(page && !('missing' in page), `File:${title} is missing`);
    const ii = page.imageinfo || [];
    expect(ii.length > 0, `File:${title}: no imageinfo`);
    expect(ii[0].sha1 === sha1(data), `File:${title}: imageinfo sha1 ${ii[0].sha1} != local ${sha1(data)}`);
    expect(Number(ii[0].size) === data.length, `File:${title}: size ${ii[0].size} != ${data.length}`);
    if (versions !== undefined) {
      expect(ii.length === versions, `File:${title}: expected ${versions} versions, got ${ii.length}`);
    }
    // nodemw's own getImageInfo() (iiprop=timestamp|user|metadata|size|url)
    const [info] = await p((cb) => client.getImageInfo(`File:${title}`, cb));
    expect(info && info.url === ii[0].url, `getImageInfo url ${info && info.url} != ${ii[0].url}`);
    // download with nodemw's own binary-safe fetch
    const [body] = await p((cb) => client.fetchUrl(info.url, cb, 'binary'));
    const got = Buffer.from(body);
    expect(got.equals(data), `File:${title}: GET ${info.url} gave ${got.length} bytes, sha1 ${sha1(got)}`);
  }

  await check('legacy login: action=login without lgtoken -> NeedToken -> login', async () => {
    const [data] = await p((cb) => client.logIn(BOT_USER, BOT_PASS, cb));
    expect(data.result === 'Success', `login result ${JSON.stringify(data)}`);
    expect(data.lgusername === MAIN_USER, `lgusername ${data.lgusername}`);
    const logins = calls.filter((c) => c.params.action === 'login');
    expect(logins.length === 2, `expected 2 action=login calls, saw ${logins.length}`);
    expect(!('lgtoken' in logins[0].params), 'first login call carried lgtoken');
    const first = logins[0].raw && logins[0].raw.login;
    expect(first && first.result === 'NeedToken' && first.token,
      `first login answer ${JSON.stringify(logins[0].raw)}`);
    expect(logins[1].params.lgtoken === first.token, 'second login did not send the NeedToken token');
    const [, , raw] = await p((cb) => client.api.call({ action: 'query', meta: 'userinfo', uiprop: 'rights' },
      (err, info, next, r) => cb(err, info, next, r)));
    const ui = raw.query.userinfo;
    expect(ui.name === MAIN_USER && !('anon' in ui), `userinfo after login ${JSON.stringify(ui).slice(0, 200)}`);
    state.login = true;
  });
  if (!state.login) process.exit(summary());

  await check('upload(filename, Buffer, comment) + imageinfo sha1 + download', async () => {
    const [data] = await p((cb) => client.upload(name('small'), small, 'nodemw test: small', cb));
    expect(data && data.result === 'Success', `upload result ${JSON.stringify(data)}`);
    expect(data.imageinfo && data.imageinfo.descriptionurl, 'Success lacks imageinfo.descriptionurl');
    await verify(name('small'), small, 1);
    state.small = true;
  });

  await check('upload() new version over the existing file (ignorewarnings="")', async () => {
    expect(state.small, 'depends on the first upload');
    const [data] = await p((cb) => client.upload(name('small'), small2, 'nodemw test: v2', cb));
    expect(data && data.result === 'Success', `upload result ${JSON.stringify(data)}`);
    await verify(name('small'), small2, 2);
  });

  await check('uploadByUrl() (client-side fetch, then upload())', async () => {
    const srv = await serveBytes({ 'n.png': viaUrl });
    let data;
    try {
      const url = `http://127.0.0.1:${srv.address().port}/n.png`;
      [data] = await p((cb) => client.uploadByUrl(name('byurl'), url, 'nodemw test: uploadByUrl', cb));
    } finally {
      srv.close();
    }
    expect(data && data.result === 'Success', `upload result ${JSON.stringify(data)}`);
    await verify(name('byurl'), viaUrl, 1);
  });

  return summary();
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
