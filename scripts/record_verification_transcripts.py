#!/usr/bin/env python3
"""Records how MediaWiki verifies uploaded content into tests/fixtures/refwiki-verification.json:
damaged but recognisable images (accepted, 0x0, `_error` metadata), Internet Explorer MIME
sniffing (`filetype-bad-ie-mime`: executables, HTML-ish text under harmless names), and MIME
detection edge cases. (Where MediaWiki asks libmagic — `mime_content_type` — mwupload has
a table of the signatures that matter; contrived inputs such as a bare ZIP local header are left
out.) Each case keeps its bytes (base64), so tests/verification.rs uploads
exactly the same file to mwupload and compares the whole answer.

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_verification_transcripts.py

Every file gets a random tail (kept in the fixture) so that nothing on the wiki is a duplicate
of it; names carry a random prefix for the same reason, and the replay uses the same names.
"""
import base64
import json
import os
import secrets
import struct
import zlib

import requests

API = os.environ['API_URL']
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
GOOD_PNG = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')


def png_with_text(text, width=2, height=2):
    """A valid RGB PNG with a tEXt chunk right after IHDR (where IE's 256-byte sniff sees it)."""
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    raw = b''.join(b'\x00' + b'\x80\x40\x20' * width for _ in range(height))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'tEXt', b'Comment\x00' + text)
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def cases(tail):
    t = tail.encode()
    return [
        ('png-signature-short', 'sig-short.png', b'\x89PNG\r\n\x1a\n' + b'\x00' * 10),
        ('png-signature-only', 'sig-only.png', b'\x89PNG\r\n\x1a\n' + b'\x00' * 10 + t),
        ('png-truncated', 'truncated.png', GOOD_PNG[:-20] + t),
        ('png-garbage-chunks', 'garbage.png', GOOD_PNG[:33] + b'garbage!' * 8 + t),
        ('jpeg-truncated', 'trunc.jpg', b'\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01' + t),
        ('gif-truncated', 'trunc.gif', b'GIF89a\x01' + t),
        ('exe-as-txt', 'mz.txt', b'MZ\x90\x00' + b'hello world' * 10 + t),
        ('exe-as-png', 'mz.png', b'MZ\x90\x00' + b'hello world' * 10 + t),
        ('exe-binary-as-txt', 'mzbin.txt', b'MZ' + bytes(range(0, 32)) * 4 + t),
        ('html-as-txt', 'html.txt', b'<html><body>hi</body></html>' + t),
        ('a-href-as-txt', 'ahref.txt', b'see <a href="http://example.org/">here</a> ' + t),
        ('table-late-as-txt', 'table.txt', b'x' * 200 + b'<table>' + t),
        ('xml-decl-as-txt', 'xml.txt', b'<?xml version="1.0"?><x/>' + t),
        ('rss-as-txt', 'rss.txt', b'<rss version="2.0"><channel/></rss>' + t),
        ('scriptlet-as-txt', 'scriptlet.txt', b'<scriptlet>x</scriptlet>' + t),
        ('pdf-header-as-txt', 'pdf.txt', b'%PDF-1.4\n' + t),
        ('png-script-early', 'script-early.png', png_with_text(b'<script>alert(1)</script> ' + t)),
        ('png-script-late', 'script-late.png', png_with_text(b'a' * 400 + b'<script>alert(1)</script> ' + t)),
        ('png-html-early', 'html-early.png', png_with_text(b'<html> ' + t)),
        ('png-table-early', 'table-early.png', png_with_text(b'<table> ' + t)),
        ('plain-text', 'plain.txt', b'hello plain text ' + t),
        ('binary-as-txt', 'bin.txt', bytes(range(1, 32)) * 8 + t),
    ]


def main():
    s = requests.Session()
    lt = s.get(API, params={'action': 'query', 'meta': 'tokens', 'type': 'login', 'format': 'json'}).json()['query']['tokens']['logintoken']
    r = s.post(API, data={'action': 'login', 'lgname': os.environ['BOT_USER'], 'lgpassword': os.environ['BOT_PASS'],
                          'lgtoken': lt, 'format': 'json'}).json()
    assert r['login']['result'] == 'Success', r
    tok = s.get(API, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']
    tag = secrets.token_hex(4)
    out = []
    for name, filename, data in cases(secrets.token_hex(8)):
        params = {'action': 'upload', 'filename': f'Vf-{tag}-{filename}', 'comment': 'verification',
                  'format': 'json', 'formatversion': '2'}
        r = s.post(API, data={**params, 'token': tok}, files={'file': (filename, data)})
        body = r.json()
        out.append({'name': name, 'params': params, 'file': base64.b64encode(data).decode(), 'status': r.status_code,
                    'response': body})
        print(name, json.dumps(body)[:200])
    with open(os.path.join(ROOT, 'tests/fixtures/refwiki-verification.json'), 'w') as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    main()
