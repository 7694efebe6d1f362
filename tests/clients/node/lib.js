'use strict';
// Shared helpers for the Node client tests (mwn_upload.mjs, nodemw_upload.js):
// noise PNGs, sha1, a PASS/FAIL harness in the style of tests/acceptance/*.py,
// a loopback file server for URL uploads, and a short HTTP trace printed on failure.
const crypto = require('node:crypto');
const http = require('node:http');
const zlib = require('node:zlib');

function crc32(buf) {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(buf) >>> 0;
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(kind, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const kd = Buffer.concat([Buffer.from(kind, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(kd));
  return Buffer.concat([len, kd, crc]);
}

/** A valid RGB noise PNG of width x height (random bytes, barely compressible). */
function makePng(width, height) {
  const row = 1 + 3 * width;
  const raw = crypto.randomBytes(row * height);
  for (let y = 0; y < height; y++) raw[y * row] = 0; // filter type None
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw, { level: 0 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const sha1 = (buf) => crypto.createHash('sha1').update(buf).digest('hex');

class Mismatch extends Error {}
function expect(cond, msg) {
  if (!cond) throw new Mismatch(msg);
}

// ---------------------------------------------------------------- HTTP trace
const trace = [];
const SECRETS = [process.env.BOT_PASS, process.env.ADMIN_PASS].filter(Boolean);
function redact(s) {
  let out = String(s);
  for (const secret of SECRETS) {
    out = out.split(secret).join('<redacted>').split(encodeURIComponent(secret)).join('<redacted>');
  }
  return out;
}
function record(line) {
  trace.push(redact(line));
  if (trace.length > 12) trace.shift();
  if (process.env.TRACE === '1') console.log('  HTTP ' + redact(line));
}
function clearTrace() {
  trace.length = 0;
}

// ---------------------------------------------------------------- harness
const results = [];
async function check(name, fn, skipReason) {
  if (skipReason) {
    results.push([name, 'skip']);
    console.log(`SKIP ${name}: ${skipReason}`);
    return;
  }
  const t0 = Date.now();
  clearTrace();
  try {
    await fn();
    results.push([name, 'pass']);
    console.log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  } catch (e) {
    results.push([name, 'fail']);
    const detail = e && (e.code || e.info) ? ` [code=${e.code} info=${e.info}]` : '';
    console.log(`FAIL ${name}: ${e && e.name}: ${e && e.message}${detail}`);
    if (e && e.stack) console.log(e.stack.split('\n').slice(1, 6).join('\n'));
    if (e && e.response && !e.response.status) {
      console.log('  response: ' + redact(JSON.stringify(e.response).slice(0, 800)));
    }
    console.log('  last HTTP exchanges:');
    for (const t of trace.slice(-6)) console.log('    ' + t);
  }
}
function summary() {
  const passed = results.filter((r) => r[1] === 'pass').length;
  const failed = results.filter((r) => r[1] === 'fail').length;
  const skipped = results.filter((r) => r[1] === 'skip').length;
  let line = `${passed} passed, ${failed} failed`;
  if (skipped) line += `, ${skipped} skipped`;
  console.log(line);
  return failed ? 1 : 0;
}

/** Serve {name: Buffer} on 127.0.0.1 (for URL uploads); resolves to the server. */
function serveBytes(files) {
  const srv = http.createServer((req, res) => {
    const data = files[req.url.replace(/^\//, '')];
    if (!data) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': data.length });
    res.end(data);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

function runId() {
  return crypto.randomBytes(4).toString('hex');
}

module.exports = {
  makePng, sha1, Mismatch, expect, check, summary, serveBytes, runId, record, redact,
};
