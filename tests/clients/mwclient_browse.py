#!/usr/bin/env python3
"""Black-box test driving the real, unmodified mwclient 0.11.0 (PyPI) through what it does
around uploads besides uploading (uploads themselves: tests/acceptance/mwclient_upload.py):
Site.allimages() (generator=allimages with prop=info|imageinfo), walking continuation in
small batches, Image.imagehistory() (imageinfo continuation), Image.duplicatefiles(), and
Image.download() checked by SHA-1. (`Site.allimages(generator=False)` is not tested: mwclient
0.11 itself fails there, indexing its results by 'timestamp|url'.)

Client: mwclient==0.11.0.
Last confirmed against the reference MediaWiki: 2026-11-29, MediaWiki 1.39.17
(shared/reference-mediawiki/setup.sh): all checks passed (tests/clients/run.sh: 30 passed, 0 failed).

    API_URL=http://127.0.0.1:8080/w/api.php BOT_USER='Admin@bot' BOT_PASS=... \
    python mwclient_browse.py

Prints one PASS/FAIL line per check and a final "N passed, M failed" line.
"""
import hashlib
import io
import os
import random
import struct
import sys
import time
import traceback
import urllib.parse
import zlib

import mwclient

API_URL = os.environ['API_URL']
BOT_USER = os.environ['BOT_USER']
BOT_PASS = os.environ['BOT_PASS']

results = []


def check(name, func):
    try:
        func()
        results.append('pass')
        print(f'PASS {name}', flush=True)
    except Exception:  # noqa: BLE001 - report every failure and go on
        results.append('fail')
        print(f'FAIL {name}\n{traceback.format_exc()}', flush=True)


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def make_png(width, height, rng):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    raw = b''.join(b'\x00' + rng.randbytes(3 * width) for _ in range(height))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw))
            + chunk(b'IEND', b''))


def sha1(b):
    return hashlib.sha1(b).hexdigest()


def main():
    u = urllib.parse.urlparse(API_URL)
    site = mwclient.Site(u.netloc, path=u.path.rsplit('/', 1)[0] + '/', scheme=u.scheme)
    site.login(BOT_USER, BOT_PASS)
    rng = random.Random()
    run = '%08x' % rng.getrandbits(32)
    prefix = f'Mwc-browse-{run}-'
    names = [f'{prefix}{k}.png' for k in 'abcde']
    data = {n: make_png(16, 16, rng) for n in names}
    # The first file gets two more versions; one copy of the second file's bytes.
    v2, v3 = make_png(16, 16, rng), make_png(16, 16, rng)
    for n in names:
        r = site.upload(io.BytesIO(data[n]), filename=n, description='browse test', ignore=True)
        expect(r['result'] == 'Success', r)
    for extra in (v2, v3):
        # MediaWiki names archived versions by upload second: one new version per second.
        time.sleep(1.1)
        r = site.upload(io.BytesIO(extra), filename=names[0], description='new version', ignore=True)
        expect(r['result'] == 'Success', r)
    copy = f'{prefix}copy.png'
    r = site.upload(io.BytesIO(data[names[1]]), filename=copy, description='copy', ignore=True)
    expect(r.get('result') == 'Success', r)
    latest = dict(data, **{names[0]: v3, copy: data[names[1]]})

    def t_allimages_generator():
        # generator=allimages&gaiprefix=…&gailimit=2: three requests, continuation echoed back.
        seen = [img for img in site.allimages(prefix=prefix, api_chunk_size=2)]
        got = [img.page_title for img in seen]
        want = sorted(n.replace('_', ' ') for n in latest)
        expect(got == want, f'allimages gave {got}, expected {want}')
        for img in seen:
            expect(img.exists, f'{img.name}: not marked existing')
            expect('timestamp' in img.imageinfo, f'{img.name}: no imageinfo from the generator')

    def t_history():
        img = site.images[names[0]]
        hist = list(img.imagehistory())
        expect(len(hist) == 3, f'{len(hist)} versions, expected 3')
        expect([h['sha1'] for h in hist] == [sha1(v3), sha1(v2), sha1(data[names[0]])],
               'history not newest first with the uploaded bytes')

    def t_duplicates():
        dupes = [d['name'] for d in site.images[names[1]].duplicatefiles()]
        expect(dupes == [copy], f'duplicatefiles gave {dupes}')

    def t_download():
        for n, b in latest.items():
            buf = io.BytesIO()
            site.images[n].download(buf)
            expect(sha1(buf.getvalue()) == sha1(b), f'{n}: downloaded bytes differ')

    def t_imageusage():
        # Two pages use the second file; Image.imageusage() (list=imageusage) finds both,
        # Page.images() (prop=images) finds the file from each page.
        users = [f'Mwc-browse-{run}-user-{k}' for k in (1, 2)]
        for p in users:
            site.pages[p].edit(f'A picture: [[File:{names[1]}|thumb]]', summary='uses a file')
        got = sorted(p.name for p in site.images[names[1]].imageusage())
        expect(got == users, f'imageusage gave {got}, expected {users}')
        for p in users:
            imgs = [i.name for i in site.pages[p].images()]
            want = 'File:' + names[1].replace('_', ' ')
            expect(imgs == [want], f'{p}: images() gave {imgs}, expected {[want]}')
        expect(list(site.images[names[2]].imageusage()) == [], 'an unused file has no usage')

    check('Site.allimages() (generator=allimages), 2 per batch, continuation', t_allimages_generator)
    check('Image.imagehistory() walks all versions', t_history)
    check('Image.duplicatefiles()', t_duplicates)
    check('Image.download() bytes match by SHA-1', t_download)
    check('Image.imageusage() and Page.images() (list=imageusage, prop=images)', t_imageusage)
    passed, failed = results.count('pass'), results.count('fail')
    print(f'{passed} passed, {failed} failed', flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
