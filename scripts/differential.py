#!/usr/bin/env python3
"""Differential test of mwupload against the reference MediaWiki 1.39 (issue 14).

Sends ~250 scenarios (file names, contents, every upload parameter, chunked-upload errors, the
stash, reads, output formats, error formats, uselang) in sequence to a fresh `mwupload serve` and
to the reference wiki, both logged in the same way (anonymous, and the bot password Admin@bot),
normalizes the answers (tests/common/mod.rs `normalize` plus the differential's own rules, the
same as tests/differential.rs) and prints the match rate with the differing scenarios grouped by
cause. The reference's answers are recorded into tests/fixtures/differential.json, which
`cargo test --test differential` replays against a fresh mwupload.

    set -a; . /tmp/refwiki/credentials.env; set +a
    cargo build --bin mwupload
    python3 scripts/differential.py [--mwupload target/debug/mwupload] [--no-record]

Every name and every file's bytes carry a run id, so what the reference wiki holds from earlier
runs does not matter (no "exists" or "duplicate" from a previous run); the recorded bytes are
replayed as they are.

A scenario is one request: who sends it ("anon" or "bot"), GET/POST/MULTIPART (the file part
base64 in "file", its part name in "part"), its parameters. "{csrf}" in a value is the sender's
CSRF token; "{var:NAME}" a value an earlier scenario saved ("save": {NAME: JSON pointer}).
"""
import argparse
import base64
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngkit import png  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
FIXTURE = os.path.join(ROOT, 'tests/fixtures/differential.json')
# The configuration the replay (tests/differential.rs) starts mwupload with.
# Upload by URL is on, as on the reference wiki ($wgAllowCopyUploads).
# Upload by URL is on, as on the reference wiki ($wgAllowCopyUploads), and $wgMaxUploadSize is
# its 4 GiB.
CONFIG = 'sitename = "RefWiki"\n\n[uploads]\nmax_upload_size = 4294967296\n\n[url_uploads]\nenabled = true\n'


# ------------------------------------------------------------------ file contents

def run_id():
    n = int(time.time())
    digits = '0123456789abcdefghijklmnopqrstuvwxyz'
    s = ''
    while n:
        n, r = divmod(n, 36)
        s = digits[r] + s
    return s


def magick(fmt, comment, size='4x4', color='#336699'):
    """A small image from ImageMagick (installed with the reference wiki) carrying `comment`."""
    args = ['convert', '-size', size, 'xc:' + color]
    if fmt in ('jpg', 'gif', 'png'):
        args += ['-set', 'comment', comment]
    return subprocess.run(args + [fmt + ':-'], check=True, capture_output=True).stdout


def svg(body, run):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="10">'
            f'<!-- {run} -->{body}</svg>\n').encode()


# ------------------------------------------------------------------ scenarios

def scenarios(run):
    P = f'Diff{run}'
    seed = int(run, 36)
    S = []
    counter = [0]

    def uniq_png(w=4, h=4):
        counter[0] += 1
        return png(w, h, seed * 1000 + counter[0])

    def uniq_text():
        counter[0] += 1
        return f'Differential test {run} file {counter[0]}\nplain text.\n'.encode()

    def add(name, group, params, who='bot', method='GET', file=None, part='file', save=None, pause=None):
        sc = {'name': name, 'group': group, 'who': who, 'method': method, 'params': params}
        if pause:
            sc['pause'] = pause
        if file is not None:
            sc['file'] = base64.b64encode(file).decode()
            sc['part'] = part
        if save:
            sc['save'] = save
        S.append(sc)

    def upload(name, group, filename, data, who='bot', pause=None, **extra):
        params = {'action': 'upload', 'filename': filename, 'token': '{csrf}', **extra}
        add(name, group, params, who=who, method='MULTIPART', file=data, pause=pause)

    def ii(name, title, group='reads', **extra):
        add(name, group, {'action': 'query', 'prop': 'imageinfo', 'titles': title,
                          'iiprop': 'timestamp|user|comment|size|dimensions|mime|mediatype|bitdepth|canonicaltitle', **extra})

    # ---- file names: each a fresh PNG under an odd or illegal name
    names = [
        ('plain', f'{P}-Name.png'),
        ('lowercase-first', f'diff{run}-lower.png'),
        ('spaces', f'{P} multiple   spaces.png'),
        ('underscores', f'{P}_under_scores.png'),
        ('leading-trailing-space', f'  {P}-trim.png  '),
        ('unicode', f'{P}-Ünïcödé-日本.png'),
        ('emoji', f'{P}-\U0001F600.png'),
        ('rtl', f'{P}-שלום.png'),
        ('non-nfc', f'{P}-Cafe\u0301.png'),
        ('nbsp', f'{P}\u00a0nbsp.png'),
        ('zero-width', f'{P}\u200bzw.png'),
        ('colon', f'{P}-a:b.png'),
        ('slash', f'{P}-a/b.png'),
        ('backslash', f'{P}-a\\b.png'),
        ('hash', f'{P}-a#b.png'),
        ('less-than', f'{P}-a<b.png'),
        ('brackets', f'{P}-[a].png'),
        ('braces', f'{P}-{{a}}.png'),
        ('pipe', f'{P}-a|b.png'),
        ('percent-encoded', f'{P}-%41%42.png'),
        ('html-entity', f'{P}-&amp;.png'),
        ('quotes', f'{P}-\'quoted"\'.png'),
        ('tilde3', f'{P}-~~~.png'),
        ('control-char', f'{P}-\x01.png'),
        ('tab', f'{P}-\ta.png'),
        ('newline', f'{P}-\na.png'),
        ('file-prefix', f'File:{P}-prefixed.png'),
        ('image-prefix', f'Image:{P}-imgprefixed.png'),
        ('talk-prefix', f'Talk:{P}-talk.png'),
        ('special-prefix', f'Special:{P}-special.png'),
        ('uppercase-ext', f'{P}-Upper.PNG'),
        ('double-ext', f'{P}-double.png.png'),
        ('dots', f'{P}-a.b.c.png'),
        ('no-ext', f'{P}-noext'),
        ('only-ext', '.png'),
        ('dot-only', '.'),
        ('empty', ''),
        ('bad-ext-exe', f'{P}-prog.exe'),
        ('bad-ext-php', f'{P}-script.php'),
        ('php-png', f'{P}-script.php.png'),
        ('wrong-ext-jpg', f'{P}-wrongext.jpg'),
        ('wrong-ext-txt', f'{P}-wrongext.txt'),
        ('long-240', f'{P}-' + 'x' * (236 - len(P)) + '.png'),
        ('too-long', f'{P}-' + 'x' * 260 + '.png'),
        ('utf8-too-long', f'{P}-' + 'é' * 130 + '.png'),
        ('htaccess', '.htaccess'),
        ('dotdot', f'{P}-..png'),
        ('slash-start', f'/{P}-slashstart.png'),
        ('tilde-start', f'~{P}-tilde.png'),
        ('ip-like', f'10.{seed % 250}.{seed // 250 % 250}.{seed // 62500 % 250}.png'),
        ('space-ext', f'{P}-spaceext. png'),
        ('long-ext', f'{P}-longext.pngpngpngpngpng'),
    ]
    for label, fname in names:
        upload(f'name-{label}', 'names', fname, uniq_png())

    # ---- contents: names fixed, bytes vary
    contents = [
        ('png', 'png', uniq_png(8, 6)),
        ('gif', 'gif', magick('gif', run + 'g')),
        ('jpeg', 'jpg', magick('jpg', run + 'j')),
        ('tiff', 'tiff', magick('tiff', run + 't', color=f'#{seed % 0xffffff:06x}')),
        ('webp', 'webp', magick('webp', run + 'w', color=f'#{(seed * 3) % 0xffffff:06x}')),
        ('svg', 'svg', svg('<rect width="20" height="10" fill="red"/>', run)),
        ('svg-script', 'svg', svg('<script>alert(1)</script>', run)),
        ('svg-onload', 'svg', svg('<rect onload="alert(1)" width="1" height="1"/>', run)),
        ('svg-javascript-href', 'svg', svg('<a xlink:href="javascript:alert(1)"><rect width="1" height="1"/></a>', run)),
        ('svg-external-image', 'svg', svg('<image xlink:href="http://example.com/x.png" width="1" height="1"/>', run)),
        ('svg-foreignobject', 'svg', svg('<foreignObject><p>x</p></foreignObject>', run)),
        ('svg-stylesheet-pi', 'svg', b'<?xml-stylesheet href="http://example.com/x.css"?>' + svg('', run)),
        ('svg-data-uri', 'svg', svg('<image xlink:href="data:text/html;base64,PHNjcmlwdD4=" width="1" height="1"/>', run)),
        ('svg-as-png', 'png', svg('', run)),
        ('text', 'txt', uniq_text()),
        ('text-bom', 'txt', b'\xef\xbb\xbf' + uniq_text()),
        ('text-crlf', 'txt', uniq_text().replace(b'\n', b'\r\n')),
        ('text-latin1', 'txt', uniq_text() + b'caf\xe9\n'),
        ('text-html', 'txt', b'<html><body><script>alert(1)</script>' + uniq_text() + b'</body></html>'),
        ('text-php', 'txt', b'<?php echo 1; ?>' + uniq_text()),
        ('mz-txt', 'txt', b'MZ\x90\x00' + uniq_text()),
        ('mz-png', 'png', b'MZ\x90\x00' + uniq_text()),
        ('elf-txt', 'txt', b'\x7fELF\x02\x01\x01' + uniq_text()),
        ('html-in-png', 'png', uniq_png()[:40] + b'<html><script>alert(1)</script>' + run.encode()),
        ('html-as-png', 'png', b'<html><head><title>x</title></head>' + uniq_text()),
        ('zip-as-png', 'png', b'PK\x03\x04' + uniq_text()),
        ('pdf', 'pdf', b'%PDF-1.4\n%' + run.encode() + b'\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
        ('empty', 'png', b''),
        ('one-byte', 'png', b'\x89'),
        ('png-truncated', 'png', uniq_png(8, 8)[:60]),
        ('png-garbage-chunks', 'png', uniq_png(8, 8)[:33] + b'\x00\x00\x00\x10JUNK' + b'\xff' * 20 + run.encode()),
        ('png-as-gif', 'gif', uniq_png()),
        ('png-as-jpg', 'jpg', uniq_png()),
        ('gif-as-png', 'png', magick('gif', run + 'gp', color='#654321')),
        ('jpeg-as-txt', 'txt', magick('jpg', run + 'jt', color='#123456')),
        ('random-binary-txt', 'txt', bytes((seed * 7 + i * 13) % 256 for i in range(64))),
    ]
    for label, ext, data in contents:
        upload(f'content-{label}', 'contents', f'{P}-content-{label}.{ext}', data)

    # ---- upload parameters
    base = f'{P}-param'
    upload('param-comment', 'params', f'{base}-comment.png', uniq_png(), comment='A [[link]] and {{tpl}} & <b>bold</b>')
    upload('param-comment-long', 'params', f'{base}-comment-long.png', uniq_png(), comment='é' * 600)
    upload('param-comment-control', 'params', f'{base}-comment-control.png', uniq_png(), comment='a\x00b\x07c')
    upload('param-text', 'params', f'{base}-text.png', uniq_png(), comment='c', text='Page [[text]] {{PAGENAME}}')
    upload('param-tags-bogus', 'params', f'{base}-tags.png', uniq_png(), tags='bogus-tag')
    for w in ('watch', 'nochange', 'preferences', 'unwatch', 'bogus'):
        upload(f'param-watchlist-{w}', 'params', f'{base}-watch-{w}.png', uniq_png(), watchlist=w)
    upload('param-watchlistexpiry', 'params', f'{base}-expiry.png', uniq_png(), watchlist='watch', watchlistexpiry='1 week')
    upload('param-watchlistexpiry-bad', 'params', f'{base}-expiry-bad.png', uniq_png(), watchlist='watch', watchlistexpiry='garbage')
    upload('param-watch-deprecated', 'params', f'{base}-watch-dep.png', uniq_png(), watch='1')
    upload('param-ignorewarnings-bad-name', 'params', f'{base}-ign.PNG', uniq_png(), ignorewarnings='1')
    upload('param-filesize-mismatch', 'params', f'{base}-filesize.png', uniq_png(), filesize='5')
    upload('param-offset-no-filekey', 'params', f'{base}-offset.png', uniq_png(), offset='0')
    upload('param-async-direct', 'params', f'{base}-async.png', uniq_png(), **{'async': '1'})
    upload('param-url-and-file', 'params', f'{base}-urlfile.png', uniq_png(), url='http://127.0.0.1:1/x.png')
    upload('param-filekey-and-file', 'params', f'{base}-fkfile.png', uniq_png(), filekey='abc.def.1.png')
    upload('param-leavemessage', 'params', f'{base}-leavemsg.png', uniq_png(), leavemessage='1')
    upload('param-anon', 'params', f'{base}-anon.png', uniq_png(), who='anon')
    add('param-no-token', 'params', {'action': 'upload', 'filename': f'{base}-notoken.png'}, method='MULTIPART', file=uniq_png())
    add('param-bad-token', 'params', {'action': 'upload', 'filename': f'{base}-badtoken.png', 'token': 'bad+\\'}, method='MULTIPART', file=uniq_png())
    add('param-no-file', 'params', {'action': 'upload', 'filename': f'{base}-nofile.png', 'token': '{csrf}'}, method='POST')
    add('param-no-filename', 'params', {'action': 'upload', 'token': '{csrf}'}, method='MULTIPART', file=uniq_png())
    add('param-get', 'params', {'action': 'upload', 'filename': f'{base}-get.png', 'token': '{csrf}'})
    add('param-url-unreachable', 'params', {'action': 'upload', 'filename': f'{base}-url.png', 'url': 'http://127.0.0.1:1/x.png', 'token': '{csrf}'}, method='POST')
    add('param-url-bad-scheme', 'params', {'action': 'upload', 'filename': f'{base}-urlscheme.png', 'url': 'ftp://example.com/x.png', 'token': '{csrf}'}, method='POST')
    add('param-url-garbage', 'params', {'action': 'upload', 'filename': f'{base}-urlgarbage.png', 'url': 'not a url', 'token': '{csrf}'}, method='POST')
    add('param-filekey-missing', 'params', {'action': 'upload', 'filename': f'{base}-fkmissing.png', 'filekey': 'abc123.def456.1.png', 'token': '{csrf}'}, method='POST')
    add('param-filekey-malformed', 'params', {'action': 'upload', 'filename': f'{base}-fkbad.png', 'filekey': '../../etc/passwd', 'token': '{csrf}'}, method='POST')
    add('param-checkstatus-bad', 'params', {'action': 'upload', 'checkstatus': '1', 'filekey': 'abc123.def456.1.png', 'token': '{csrf}'}, method='POST')
    add('param-checkstatus-nokey', 'params', {'action': 'upload', 'checkstatus': '1', 'token': '{csrf}'}, method='POST')
    add('param-sessionkey', 'params', {'action': 'upload', 'filename': f'{base}-sk.png', 'sessionkey': 'abc123.def456.1.png', 'token': '{csrf}'}, method='POST')
    # Warnings: re-uploads, duplicates, exists.
    dup = uniq_png(5, 5)
    upload('warn-first', 'warnings', f'{P}-warn-a.png', dup, comment='first')
    upload('warn-same-again', 'warnings', f'{P}-warn-a.png', dup)
    upload('warn-same-again-ignore', 'warnings', f'{P}-warn-a.png', dup, ignorewarnings='1')
    upload('warn-duplicate', 'warnings', f'{P}-warn-b.png', dup)
    upload('warn-duplicate-ignore', 'warnings', f'{P}-warn-b.png', dup, ignorewarnings='1')
    upload('warn-exists-new-content', 'warnings', f'{P}-warn-a.png', uniq_png(5, 5))
    # A second apart: archive names of old versions are per second.
    upload('warn-overwrite', 'warnings', f'{P}-warn-a.png', uniq_png(5, 5), ignorewarnings='1', comment='second', pause=1.1)
    upload('warn-exists-normalized', 'warnings', f'{P}-warn-a.PNG', uniq_png())
    upload('warn-badfilename', 'warnings', f'{P}-warn:c.png', uniq_png())
    upload('warn-bad-prefix', 'warnings', 'DSC_0001.JPG'.replace('.JPG', f'{run}.png').replace('DSC_0001', 'DSC_'), uniq_png())
    upload('warn-thumb-name', 'warnings', f'120px-{P}-warn-a.png', uniq_png())
    upload('warn-empty-file', 'warnings', f'{P}-warn-empty.txt', b'')
    # Delete one file, then upload its bytes again (duplicate-archive) and read the archive.
    deleted = uniq_png(6, 6)
    upload('del-upload', 'warnings', f'{P}-deleted.png', deleted)
    add('del-delete', 'warnings', {'action': 'delete', 'title': f'File:{P}-deleted.png', 'reason': 'differential', 'token': '{csrf}'}, method='POST')
    upload('del-reupload-archived-bytes', 'warnings', f'{P}-deleted-again.png', deleted)
    upload('del-same-name', 'warnings', f'{P}-deleted.png', uniq_png(6, 6))

    # ---- chunked uploads
    big = uniq_png(30, 30)
    n = len(big)
    c = f'{P}-chunked.png'
    add('chunk-first', 'chunked', {'action': 'upload', 'filename': c, 'filesize': str(n), 'offset': '0', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[:1024], part='chunk', save={'ck': '/upload/filekey'})
    add('chunk-wrong-offset', 'chunked', {'action': 'upload', 'filename': c, 'filesize': str(n), 'offset': '5', 'filekey': '{var:ck}', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[1024:2048], part='chunk')
    add('chunk-too-small', 'chunked', {'action': 'upload', 'filename': c, 'filesize': str(n), 'offset': '1024', 'filekey': '{var:ck}', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[1024:1100], part='chunk')
    add('chunk-second', 'chunked', {'action': 'upload', 'filename': c, 'filesize': str(n), 'offset': '1024', 'filekey': '{var:ck}', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[1024:2048], part='chunk')
    add('chunk-repeat-second', 'chunked', {'action': 'upload', 'filename': c, 'filesize': str(n), 'offset': '1024', 'filekey': '{var:ck}', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[1024:2048], part='chunk')
    add('chunk-past-filesize', 'chunked', {'action': 'upload', 'filename': c, 'filesize': str(n), 'offset': '2048', 'filekey': '{var:ck}', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[2048:] + b'EXTRA' * 300, part='chunk')
    add('chunk-last', 'chunked', {'action': 'upload', 'filename': c, 'filesize': str(n), 'offset': '2048', 'filekey': '{var:ck}', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[2048:], part='chunk', save={'ckdone': '/upload/filekey'})
    add('chunk-after-last', 'chunked', {'action': 'upload', 'filename': c, 'filesize': str(n), 'offset': str(n), 'filekey': '{var:ck}', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=b'x', part='chunk')
    add('chunk-stashimageinfo', 'chunked', {'action': 'query', 'prop': 'stashimageinfo', 'siifilekey': '{var:ckdone}', 'siiprop': 'size|dimensions|mime|sha1|bitdepth'})
    add('chunk-publish-anon', 'chunked', {'action': 'upload', 'filename': c, 'filekey': '{var:ckdone}', 'token': '+\\'}, who='anon', method='POST')
    add('chunk-publish', 'chunked', {'action': 'upload', 'filename': c, 'filekey': '{var:ckdone}', 'comment': 'chunked', 'token': '{csrf}'}, method='POST')
    add('chunk-publish-again', 'chunked', {'action': 'upload', 'filename': c, 'filekey': '{var:ckdone}', 'token': '{csrf}'}, method='POST')
    add('chunk-filesize-zero', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-zero.png', 'filesize': '0', 'offset': '0', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=b'', part='chunk')
    add('chunk-filesize-negative', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-neg.png', 'filesize': '-1', 'offset': '0', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[:1024], part='chunk')
    add('chunk-filesize-huge', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-huge.png', 'filesize': str(5 * 1024 ** 4), 'offset': '0', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[:1024], part='chunk')
    add('chunk-offset-nonzero-first', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-off.png', 'filesize': str(n), 'offset': '1024', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[:1024], part='chunk')
    add('chunk-bad-filekey', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-bk.png', 'filesize': str(n), 'offset': '1024', 'filekey': 'zzz.yyy.1.png', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[1024:2048], part='chunk')
    add('chunk-no-filesize', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-nofs.png', 'offset': '0', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=big[:1024], part='chunk')
    add('chunk-whole-in-one', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-one.png', 'filesize': str(n), 'offset': '0', 'token': '{csrf}'},
        method='MULTIPART', file=big, part='chunk')
    bad = b'MZ' + uniq_text() * 120
    add('chunk-bad-content-first', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-mz.txt', 'filesize': str(len(bad)), 'offset': '0', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=bad[:1024], part='chunk', save={'mz': '/upload/filekey'})
    add('chunk-bad-content-last', 'chunked', {'action': 'upload', 'filename': f'{P}-chunk-mz.txt', 'filesize': str(len(bad)), 'offset': '1024', 'filekey': '{var:mz}', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=bad[1024:], part='chunk')

    # ---- stash
    stashed = uniq_png(7, 7)
    s = f'{P}-stashed.png'
    add('stash-upload', 'stash', {'action': 'upload', 'filename': s, 'stash': '1', 'token': '{csrf}'}, method='MULTIPART', file=stashed, save={'sk': '/upload/filekey'})
    add('stash-info', 'stash', {'action': 'query', 'prop': 'stashimageinfo', 'siifilekey': '{var:sk}'})
    add('stash-info-all', 'stash', {'action': 'query', 'prop': 'stashimageinfo', 'siifilekey': '{var:sk}',
                                    'siiprop': 'timestamp|canonicaltitle|url|size|dimensions|sha1|mime|thumbmime|metadata|commonmetadata|extmetadata|bitdepth|badfile'})
    add('stash-info-thumb', 'stash', {'action': 'query', 'prop': 'stashimageinfo', 'siifilekey': '{var:sk}', 'siiprop': 'url', 'siiurlwidth': '3'})
    add('stash-info-anon', 'stash', {'action': 'query', 'prop': 'stashimageinfo', 'siifilekey': '{var:sk}'}, who='anon')
    add('stash-info-missing', 'stash', {'action': 'query', 'prop': 'stashimageinfo', 'siifilekey': 'abc123.def456.1.png'})
    add('stash-info-malformed', 'stash', {'action': 'query', 'prop': 'stashimageinfo', 'siifilekey': 'nope'})
    add('stash-info-sessionkey', 'stash', {'action': 'query', 'prop': 'stashimageinfo', 'siisessionkey': '{var:sk}', 'siiprop': 'size'})
    add('stash-mystashedfiles', 'stash', {'action': 'query', 'list': 'mystashedfiles', 'msfprop': 'size|type', 'msflimit': '500'})
    add('stash-publish-anon', 'stash', {'action': 'upload', 'filename': s, 'filekey': '{var:sk}', 'token': '+\\'}, who='anon', method='POST')
    add('stash-publish-other-name', 'stash', {'action': 'upload', 'filename': f'{P}-stashed-renamed.png', 'filekey': '{var:sk}', 'comment': 'renamed', 'token': '{csrf}'}, method='POST')
    add('stash-publish-used-key', 'stash', {'action': 'upload', 'filename': s, 'filekey': '{var:sk}', 'token': '{csrf}'}, method='POST')
    stashed2 = uniq_png(7, 7)
    add('stash-upload-warn', 'stash', {'action': 'upload', 'filename': f'{P}-stashed-renamed.png', 'stash': '1', 'token': '{csrf}'},
        method='MULTIPART', file=stashed2, save={'sk2': '/upload/filekey'})
    add('stash-publish-warn', 'stash', {'action': 'upload', 'filename': f'{P}-stashed-renamed.png', 'filekey': '{var:sk2}', 'token': '{csrf}'}, method='POST')
    add('stash-publish-ignore', 'stash', {'action': 'upload', 'filename': f'{P}-stashed-renamed.png', 'filekey': '{var:sk2}', 'ignorewarnings': '1', 'token': '{csrf}'}, method='POST')
    add('stash-bad-content', 'stash', {'action': 'upload', 'filename': f'{P}-stash-bad.png', 'stash': '1', 'token': '{csrf}'}, method='MULTIPART', file=b'<html>' + uniq_text())
    add('stash-warnings-to-stash', 'stash', {'action': 'upload', 'filename': f'{P}-warn-a.png', 'token': '{csrf}'}, method='MULTIPART', file=uniq_png(),
        save={'sk3': '/upload/filekey'})
    add('stash-info-of-warned', 'stash', {'action': 'query', 'prop': 'stashimageinfo', 'siifilekey': '{var:sk3}', 'siiprop': 'size|mime'})

    # ---- reads
    A = f'File:{P}-warn-a.png'
    ii('ii-basic', A)
    ii('ii-history', A, iilimit='max')
    ii('ii-fv1', A, formatversion='1', iilimit='2')
    add('ii-all-props', 'reads', {'action': 'query', 'prop': 'imageinfo', 'titles': A, 'iilimit': '5',
                                  'iiprop': 'timestamp|user|userid|comment|parsedcomment|canonicaltitle|url|size|dimensions|sha1|mime|thumbmime|mediatype|metadata|commonmetadata|extmetadata|archivename|bitdepth|uploadwarning|badfile'})
    ii('ii-url', A, iiprop='url')
    ii('ii-thumb', A, iiprop='url', iiurlwidth='2')
    ii('ii-thumb-height', A, iiprop='url', iiurlheight='2')
    ii('ii-thumb-param', A, iiprop='url', iiurlparam='2px')
    ii('ii-thumb-param-bad', A, iiprop='url', iiurlparam='bogus')
    ii('ii-thumb-upscale', A, iiprop='url', iiurlwidth='500')
    ii('ii-limit-1-continue', A, iilimit='1')
    ii('ii-start-end', A, iistart='2000-01-01T00:00:00Z', iiend='2038-01-01T00:00:00Z')
    ii('ii-start-after-end', A, iistart='2000-01-01T00:00:00Z', iiend='2038-01-01T00:00:00Z', iidir='newer')
    ii('ii-missing', f'File:{P}-missing.png')
    ii('ii-invalid-title', f'File:{P}-a<b.png')
    ii('ii-not-file-ns', f'{P}-main-page')
    ii('ii-special', 'Special:Upload')
    ii('ii-media-ns', f'Media:{P}-warn-a.png')
    ii('ii-several', f'{A}|File:{P}-Name.png|File:{P}-missing.png')
    ii('ii-lowercase-title', f'file:diff{run}-lower.png')
    ii('ii-svg', f'File:{P}-content-svg.svg', iiprop='size|mime|mediatype|metadata')
    ii('ii-gif', f'File:{P}-content-gif.gif', iiprop='size|mime|mediatype|metadata|bitdepth')
    ii('ii-jpeg', f'File:{P}-content-jpeg.jpg', iiprop='size|mime|mediatype|metadata|commonmetadata')
    ii('ii-text', f'File:{P}-content-text.txt', iiprop='size|mime|mediatype|metadata')
    ii('ii-pdf', f'File:{P}-content-pdf.pdf', iiprop='size|mime|mediatype')
    ii('ii-deleted', f'File:{P}-deleted.png', iiprop='size|sha1')
    ii('ii-chunked', f'File:{c}', iiprop='size|sha1|mime|comment')
    ii('ii-extmetadata', A, iiprop='extmetadata', iiextmetadatafilter='ImageDescription|DateTime|ObjectName')
    ii('ii-badfile', A, iiprop='badfile')
    ii('ii-uploadwarning', A, iiprop='uploadwarning')
    ii('ii-localonly', A, iilocalonly='1', iiprop='size')
    add('ii-generator-allimages', 'reads', {'action': 'query', 'generator': 'allimages', 'gaiprefix': f'{P}-warn', 'prop': 'imageinfo', 'iiprop': 'size|mime'})
    add('ai-prefix', 'reads', {'action': 'query', 'list': 'allimages', 'aiprefix': f'{P}-content-', 'ailimit': '500'})
    add('ai-prefix-props', 'reads', {'action': 'query', 'list': 'allimages', 'aiprefix': f'{P}-warn', 'aiprop': 'timestamp|user|userid|comment|parsedcomment|canonicaltitle|url|size|dimensions|sha1|mime|mediatype|bitdepth|badfile'})
    add('ai-limit-continue', 'reads', {'action': 'query', 'list': 'allimages', 'aiprefix': f'{P}-param', 'ailimit': '2'})
    add('ai-from-to', 'reads', {'action': 'query', 'list': 'allimages', 'aifrom': f'{P}-content-p', 'aito': f'{P}-content-t'})
    add('ai-desc', 'reads', {'action': 'query', 'list': 'allimages', 'aiprefix': f'{P}-content-s', 'aidir': 'descending'})
    add('ai-mime', 'reads', {'action': 'query', 'list': 'allimages', 'aiprefix': f'{P}-content', 'aimime': 'image/gif'})
    add('ai-minsize', 'reads', {'action': 'query', 'list': 'allimages', 'aiprefix': f'{P}-content', 'aiminsize': '300'})
    add('ai-sha1', 'reads', {'action': 'query', 'list': 'allimages', 'aisha1': __import__('hashlib').sha1(dup).hexdigest()})
    add('ai-sha1-bad', 'reads', {'action': 'query', 'list': 'allimages', 'aisha1': 'nothex'})
    add('ai-user-without-timestamp', 'reads', {'action': 'query', 'list': 'allimages', 'aiuser': 'Admin'})
    add('fa-prefix', 'reads', {'action': 'query', 'list': 'filearchive', 'faprefix': f'{P}-deleted', 'faprop': 'sha1|timestamp|user|size|dimensions|description|mime|mediatype|archivename|bitdepth'})
    add('fa-anon', 'reads', {'action': 'query', 'list': 'filearchive', 'faprefix': f'{P}-deleted'}, who='anon')
    add('fa-sha1', 'reads', {'action': 'query', 'list': 'filearchive', 'fasha1': __import__('hashlib').sha1(deleted).hexdigest()})
    add('le-title', 'reads', {'action': 'query', 'list': 'logevents', 'letitle': A, 'leprop': 'type|user|title|comment|details|tags'})
    add('le-upload-type', 'reads', {'action': 'query', 'list': 'logevents', 'letitle': f'File:{P}-deleted.png', 'leprop': 'type|title|comment|details'})
    add('le-action', 'reads', {'action': 'query', 'list': 'logevents', 'letitle': A, 'leaction': 'upload/overwrite', 'leprop': 'type|title'})
    add('le-bad-action', 'reads', {'action': 'query', 'list': 'logevents', 'leaction': 'upload/bogus'})
    add('df-title', 'reads', {'action': 'query', 'prop': 'duplicatefiles', 'titles': f'File:{P}-warn-b.png'})
    add('df-missing', 'reads', {'action': 'query', 'prop': 'duplicatefiles', 'titles': f'File:{P}-missing.png'})
    add('df-generator', 'reads', {'action': 'query', 'generator': 'duplicatefiles', 'titles': f'File:{P}-warn-b.png', 'prop': 'info'})
    add('info-file', 'reads', {'action': 'query', 'prop': 'info', 'titles': A, 'inprop': 'url|displaytitle|protection|watched'})
    add('rev-file-page', 'reads', {'action': 'query', 'prop': 'revisions', 'titles': f'File:{P}-param-text.png', 'rvprop': 'content|comment|user', 'rvslots': 'main'})
    add('iu-none', 'reads', {'action': 'query', 'list': 'imageusage', 'iutitle': A})
    add('fu-none', 'reads', {'action': 'query', 'prop': 'fileusage', 'titles': A})
    add('images-none', 'reads', {'action': 'query', 'prop': 'images', 'titles': f'File:{P}-param-text.png'})
    add('watchlistraw', 'reads', {'action': 'query', 'list': 'watchlistraw', 'wrlimit': '500', 'wrnamespace': '6', 'wrfromtitle': f'{P}-param', 'wrtotitle': f'{P}-paramz'})
    add('userinfo', 'reads', {'action': 'query', 'meta': 'userinfo', 'uiprop': 'groups'})
    add('userinfo-anon', 'reads', {'action': 'query', 'meta': 'userinfo'}, who='anon')
    add('filerepoinfo', 'reads', {'action': 'query', 'meta': 'filerepoinfo', 'friprop': 'name|displayname|local|initialCapital'})
    add('siteinfo-general-subset', 'reads', {'action': 'query', 'meta': 'siteinfo', 'siprop': 'fileextensions'})
    add('filerevert-missing-file', 'reads', {'action': 'filerevert', 'filename': f'{P}-missing.png', 'archivename': '20000101000000!x.png', 'token': '{csrf}'}, method='POST')
    add('filerevert-bad-archivename', 'reads', {'action': 'filerevert', 'filename': f'{P}-warn-a.png', 'archivename': 'nope', 'token': '{csrf}'}, method='POST')
    add('undelete-missing', 'reads', {'action': 'undelete', 'title': f'File:{P}-never.png', 'token': '{csrf}'}, method='POST')

    # ---- output formats
    fmts = [('json-fv1', {'format': 'json'}), ('json-fv2', {'format': 'json', 'formatversion': '2'}),
            ('xml', {'format': 'xml'}), ('xml-fv2', {'format': 'xml', 'formatversion': '2'}),
            ('php', {'format': 'php'}), ('php-fv2', {'format': 'php', 'formatversion': '2'}),
            ('none', {'format': 'none'}), ('json-utf8', {'format': 'json', 'utf8': '1'}),
            ('json-ascii', {'format': 'json', 'formatversion': '2', 'ascii': '1'})]
    for label, f in fmts:
        add(f'fmt-{label}-ii', 'formats', {'action': 'query', 'prop': 'imageinfo', 'titles': f'File:{P}-Ünïcödé-日本.png', 'iiprop': 'size|mime|comment', **f})
        add(f'fmt-{label}-error', 'formats', {'action': 'upload', 'filename': 'x.png', **f}, method='POST')
    add('fmt-xml-upload', 'formats', {'action': 'upload', 'filename': f'{P}-fmt.png', 'token': '{csrf}', 'format': 'xml'}, method='MULTIPART', file=uniq_png())
    add('fmt-php-upload-warn', 'formats', {'action': 'upload', 'filename': f'{P}-fmt.png', 'token': '{csrf}', 'format': 'php'}, method='MULTIPART', file=uniq_png())
    add('fmt-fv1-upload-warn', 'formats', {'action': 'upload', 'filename': f'{P}-fmt.png', 'token': '{csrf}', 'format': 'json'}, method='MULTIPART', file=uniq_png())

    # ---- error formats, on errors and warnings
    for ef in ('bc', 'plaintext', 'wikitext', 'html', 'raw', 'none'):
        e = {'errorformat': ef}
        add(f'ef-{ef}-badtoken', 'errorformat', {'action': 'upload', 'filename': 'x.png', 'token': 'bad+\\', **e}, method='POST')
        add(f'ef-{ef}-missingparam', 'errorformat', {'action': 'upload', 'token': '{csrf}', **e}, method='POST')
        add(f'ef-{ef}-permission', 'errorformat', {'action': 'upload', 'filename': 'x.png', 'url': 'http://example.com/x.png', 'token': '+\\', **e}, who='anon', method='POST')
        add(f'ef-{ef}-badvalue', 'errorformat', {'action': 'query', 'list': 'allimages', 'aisort': 'bogus', **e})
        add(f'ef-{ef}-badinteger', 'errorformat', {'action': 'query', 'list': 'allimages', 'ailimit': 'abc', **e})
        add(f'ef-{ef}-unrecognizedparams', 'errorformat', {'action': 'query', 'meta': 'tokens', 'foo': '1', 'bar': '2', **e})
        add(f'ef-{ef}-warning', 'errorformat', {'action': 'query', 'meta': 'tokens', 'type': 'csrf|bogus', **e})
        add(f'ef-{ef}-upload-warnings', 'errorformat', {'action': 'upload', 'filename': f'{P}-warn-a.png', 'token': '{csrf}', **e},
            method='MULTIPART', file=uniq_png())
        add(f'ef-{ef}-verification', 'errorformat', {'action': 'upload', 'filename': f'{P}-ef-{ef}.png', 'token': '{csrf}', **e},
            method='MULTIPART', file=b'GIF89a' + uniq_text())
        add(f'ef-{ef}-filetype', 'errorformat', {'action': 'upload', 'filename': f'{P}-ef-{ef}.exe', 'token': '{csrf}', **e},
            method='MULTIPART', file=uniq_text())
    add('ef-bogus', 'errorformat', {'action': 'query', 'errorformat': 'bogus'})
    add('ef-plaintext-errorsuselocal', 'errorformat', {'action': 'bogus', 'errorformat': 'plaintext', 'errorsuselocal': '1'})
    add('ef-plaintext-fv1', 'errorformat', {'action': 'bogus', 'errorformat': 'plaintext', 'formatversion': '1'})
    add('ef-html-xml', 'errorformat', {'action': 'bogus', 'errorformat': 'html', 'format': 'xml'})
    add('ef-raw-xml', 'errorformat', {'action': 'upload', 'token': '{csrf}', 'errorformat': 'raw', 'format': 'xml'}, method='POST')
    add('ef-bc-uselang-de', 'errorformat', {'action': 'bogus', 'uselang': 'de'})

    # ---- uselang
    for lang in ('de', 'fr', 'qqx', 'user', 'content', 'bogus'):
        add(f'uselang-{lang}-error', 'uselang', {'action': 'upload', 'filename': 'x.png', 'token': 'bad+\\', 'errorformat': 'plaintext', 'uselang': lang}, method='POST')
    add('uselang-de-warning', 'uselang', {'action': 'query', 'meta': 'tokens', 'type': 'bogus', 'errorformat': 'plaintext', 'uselang': 'de'})
    add('uselang-de-upload-warning', 'uselang', {'action': 'upload', 'filename': f'{P}-warn-a.png', 'token': '{csrf}', 'errorformat': 'plaintext', 'uselang': 'de'},
        method='MULTIPART', file=uniq_png())
    return S


# ------------------------------------------------------------------ sending

class Target:
    """One wiki: an anonymous and a bot session, their CSRF tokens, saved values."""

    def __init__(self, api, bot_user, bot_pass):
        self.api = api
        self.sessions = {'anon': requests.Session(), 'bot': requests.Session()}
        s = self.sessions['bot']
        lt = s.get(api, params={'action': 'query', 'meta': 'tokens', 'type': 'login', 'format': 'json'}).json()['query']['tokens']['logintoken']
        r = s.post(api, data={'action': 'login', 'lgname': bot_user, 'lgpassword': bot_pass, 'lgtoken': lt, 'format': 'json'}).json()
        assert r['login']['result'] == 'Success', r
        self.csrf = {w: self.sessions[w].get(api, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']
                     for w in self.sessions}
        self.vars = {}

    def subst(self, who, v):
        v = v.replace('{csrf}', self.csrf[who])
        return re.sub(r'\{var:(\w+)\}', lambda m: self.vars.get(m.group(1), 'MISSING-' + m.group(1)), v)

    def send(self, sc):
        if sc.get('pause'):
            time.sleep(sc['pause'])
        who = sc['who']
        s = self.sessions[who]
        params = {k: self.subst(who, v) for k, v in sc['params'].items()}
        if 'format' not in params:
            params = {'format': 'json', 'formatversion': '2', **params}
        if sc['method'] == 'GET':
            r = s.get(self.api, params=params)
        elif sc['method'] == 'POST':
            r = s.post(self.api, data=params)
        else:
            files = {sc['part']: ('blob', base64.b64decode(sc['file']), 'multipart/form-data')}
            r = s.post(self.api, data=params, files=files)
        out = {'status': r.status_code, 'error_header': r.headers.get('MediaWiki-API-Error')}
        if params.get('format') == 'json':
            try:
                out['response'] = r.json()
            except ValueError:
                out['body'] = r.text
        else:
            out['body'] = r.text
        for var, pointer in sc.get('save', {}).items():
            v = out.get('response')
            for part in pointer.strip('/').split('/'):
                v = v.get(part) if isinstance(v, dict) else None
            if isinstance(v, str):
                self.vars[var] = v
        return out


# ------------------------------------------------------------------ normalization
# Python twin of tests/common/mod.rs `normalize` and tests/differential.rs `comparable`.

NUM_KEYS = {'size', 'offset', 'lguserid', 'userid', 'id', 'pageid', 'logid', 'newrevid', 'oldrevid', 'revid',
            'parentid', 'lastrevid'}


def normalize(v, key=''):
    if isinstance(v, dict):
        out = {}
        for i, (k, x) in enumerate(v.items()):
            nk = k
            if re.fullmatch(r'[1-9]\d*', k):
                nk = f'#{i}'  # formatversion=1 page-id keys
            if key == 'ObjectName' and k == 'value':
                x = 'OBJECTNAME'
            out[nk] = normalize(x, k)
        return out
    if isinstance(v, list):
        return [normalize(x, key) for x in v]
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) and key in NUM_KEYS:
        return 'N'
    if isinstance(v, str):
        return normalize_str(v, key)
    return v


def normalize_str(s, key):
    s = re.sub(r'https?://[^/\s]+', 'http://SERVER', s)
    if s.endswith('+\\') and len(s) > 2:
        return 'TOKEN'
    if key in ('filekey', 'sessionkey') or re.fullmatch(r'[0-9a-z]+\.[0-9a-z]+\.\d+\.\w*', s, re.A):
        return 'FILEKEY'
    if key in ('sha1', 'img_sha1'):
        return 'SHA1'
    if key in ('offset', 'size'):
        return 'N'
    s = re.sub(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', 'TS', s)
    s = re.sub(r'^\d{14}\|', 'TS|', s)
    if key == 'facontinue':
        s = re.sub(r'\|\d{14}\|\d+$', '|TS|N', s)
    if key in ('tlcontinue', 'gtlcontinue'):
        s = re.sub(r'^\d+\|', 'N|', s)
    if key in ('lecontinue', 'rvcontinue'):
        s = re.sub(r'\|\d+$', '|N', s)
    s = re.sub(r'\d{14}![^./]*', 'STASHNAME', s)
    s = re.sub(r'Special:UploadStash/file/[0-9a-z.]+', 'Special:UploadStash/file/FILEKEY', s)
    s = re.sub(r'[0-9a-z]{6,}\.[0-9a-z]+\.\d+\.\w*', 'FILEKEY', s, flags=re.A)
    s = re.sub(r'curid=\d+', 'curid=N', s)
    s = re.sub(r'\d{14}%21', 'TS%21', s)
    s = re.sub(r'/images/[0-9a-f]/[0-9a-f]{2}/', '/images/H/HH/', s)
    # The differential's additions (tests/differential.rs `normalize_extra`).
    s = re.sub(r'^\d{14}$', 'TS14', s)
    return s


def normalize_body(s):
    """A non-JSON body (xml, php): the string rules, then ids, token, string lengths."""
    s = normalize_str(s, '')
    s = re.sub(r'[0-9a-f]{32,}\+\\\\?', 'TOKEN', s)
    s = re.sub(r'\b(size|offset|userid|id|pageid|logid|revid|parentid|lastrevid|_idx)="[1-9]\d*"', r'\1="N"', s)
    s = re.sub(r'(s:\d+:"(?:size|offset|userid|id|pageid|logid|revid|parentid|lastrevid)";i:)\d+;', r'\1N;', s)
    s = re.sub(r'\bi:[1-9]\d*;(a:)', r'i:N;\1', s)
    s = re.sub(r's:\d+:"', 's:N:"', s)
    return s


def comparable(ans):
    if 'response' in ans:
        body = json.dumps(normalize(ans['response']), ensure_ascii=False, separators=(',', ':'))
    else:
        body = normalize_body(ans.get('body', ''))
    return f'{ans["status"]} {ans["error_header"]} {body}'


# ------------------------------------------------------------------ causes

def codes(ans):
    r = ans.get('response')
    if not isinstance(r, dict):
        return None
    if 'error' in r:
        return 'error:' + str(r['error'].get('code'))
    if 'errors' in r and r['errors']:
        return 'error:' + str(r['errors'][0].get('code'))
    up = r.get('upload')
    if isinstance(up, dict):
        if 'warnings' in up:
            return 'warnings:' + ','.join(sorted(up['warnings']))
        return 'result:' + str(up.get('result'))
    return 'ok'


def cause(sc, ref, ours):
    a, b = codes(ref), codes(ours)
    if a != b:
        return f'different outcome: MediaWiki {a} / mwupload {b}'
    if 'response' not in ref or 'response' not in ours:
        return f'{sc["group"]}: body of format {sc["params"].get("format", "json")} differs'
    paths = []
    diff_paths(normalize(ours['response']), normalize(ref['response']), '', paths)
    if not paths:
        return 'member order differs'
    first = re.sub(r'\[\d+\]', '[]', paths[0])
    return f'{a}: {first}'


def diff_paths(x, y, path, out):
    if isinstance(x, dict) and isinstance(y, dict):
        for k in x:
            if k in y:
                diff_paths(x[k], y[k], f'{path}.{k}', out)
            else:
                out.append(f'{path}.{k} only in mwupload')
        for k in y:
            if k not in x:
                out.append(f'{path}.{k} only in MediaWiki')
    elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (v, w) in enumerate(zip(x, y)):
            diff_paths(v, w, f'{path}[{i}]', out)
    elif x != y:
        out.append(f'{path} value differs')


# ------------------------------------------------------------------ mwupload

def start_mwupload(binary):
    data = tempfile.mkdtemp(prefix='mwupload-diff-')
    conf = os.path.join(data, 'config.toml')
    with open(conf, 'w') as f:
        f.write(CONFIG)
    p = subprocess.Popen([binary, 'serve', '--listen', '127.0.0.1:0', '--data', data, '--config', conf],
                         stdout=subprocess.PIPE, stderr=open(os.path.join(data, 'server.log'), 'w'), text=True)
    for line in p.stdout:
        if line.startswith('listening on '):
            base = line.split(' ', 2)[2].strip()
            break
    else:
        raise SystemExit('mwupload did not start')
    env = dict(l.split('=', 1) for l in open(os.path.join(data, 'initial-credentials.env')).read().splitlines() if '=' in l and not l.startswith('#'))
    return p, base + '/w/api.php', env['BOT_USER'], env['BOT_PASS']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mwupload', default=os.path.join(ROOT, 'target/debug/mwupload'))
    ap.add_argument('--no-record', action='store_true', help='compare only; keep the fixture')
    ap.add_argument('-v', action='store_true', help='print both answers of every differing scenario')
    ap.add_argument('--allow-list', help='write the differing scenarios as Rust (name, cause) lines to this file')
    ap.add_argument('--ref-only', action='store_true', help='only print the reference wiki\'s answers (debugging)')
    args = ap.parse_args()
    run = run_id()
    S = scenarios(run)
    ref = Target(os.environ['API_URL'], os.environ['BOT_USER'], os.environ['BOT_PASS'])
    if args.ref_only:
        for sc in S:
            print(sc['name'], comparable(ref.send(sc))[:300])
        return
    proc, api, user, password = start_mwupload(args.mwupload)
    try:
        ours = Target(api, user, password)
        records, groups = [], collections.defaultdict(list)
        for sc in S:
            a = ref.send(sc)
            b = ours.send(sc)
            records.append({**sc, **a})
            if comparable(a) != comparable(b):
                groups[cause(sc, a, b)].append(sc['name'])
                if args.v:
                    x, y = comparable(a), comparable(b)
                    i = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
                    at = max(0, i - 200)
                    print(f'--- {sc["name"]} (from character {at})\n  MediaWiki: {x[at:i + 400]}\n  mwupload:  {y[at:i + 400]}')
    finally:
        proc.terminate()
        proc.wait()
    same = len(S) - sum(len(v) for v in groups.values())
    print(f'\n{same} of {len(S)} scenarios identical after normalization ({100 * same / len(S):.1f}%)')
    for c, names in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print(f'\n[{len(names)}] {c}\n    ' + ' '.join(names))
    if args.allow_list:
        with open(args.allow_list, 'w') as f:
            for c, names in sorted(groups.items(), key=lambda kv: -len(kv[1])):
                for n in names:
                    f.write(f'    ({json.dumps(n)}, {json.dumps(c)}),\n')
    if not args.no_record:
        with open(FIXTURE, 'w') as f:
            json.dump({'run': run, 'config': CONFIG, 'scenarios': records}, f, indent=1, ensure_ascii=False)
            f.write('\n')
        print(f'\nrecorded {len(records)} scenarios into {os.path.relpath(FIXTURE, ROOT)}')


if __name__ == '__main__':
    main()
