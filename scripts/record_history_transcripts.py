#!/usr/bin/env python3
"""Records MediaWiki's answers for the history scenarios that the shared transcripts lack
(filerevert, deleting one old version, undelete, logevents, duplicatefiles, allimages by
timestamp, badtags) into tests/fixtures/refwiki-history.json.

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_history_transcripts.py [--prefix Hist]

Run it against a fresh reference wiki (shared/reference-mediawiki/setup.sh with
REFWIKI_RESET=1): file names are fixed so tests can replay the same scenario. The PNGs are the
ones tests/common/mod.rs::png() makes (same generator), so sizes and hashes match too.
"""
import json
import os
import struct
import sys
import zlib

import requests

API = os.environ['API_URL']
PREFIX = sys.argv[sys.argv.index('--prefix') + 1] if '--prefix' in sys.argv else 'Hist'


def png(width, height, seed):
    """Same bytes as the Rust test kit's png(): xorshift noise, stored deflate blocks."""
    mask = (1 << 64) - 1
    s = ((seed * 6364136223846793005 + 1442695040888963407) & mask) | 1
    row = 1 + 3 * width
    raw = bytearray(row * height)
    for i in range(len(raw)):
        s ^= (s << 13) & mask
        s ^= s >> 7
        s ^= (s << 17) & mask
        raw[i] = 0 if i % row == 0 else (s >> 24) & 0xff
    z = bytearray(b'\x78\x01')
    n = len(raw)
    i = 0
    while i < n:
        end = min(i + 65535, n)
        ln = end - i
        z += bytes([1 if end == n else 0]) + struct.pack('<HH', ln, ln ^ 0xffff) + raw[i:end]
        i = end
    z += struct.pack('>I', zlib.adler32(bytes(raw)) & 0xffffffff)

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', bytes(z)) + chunk(b'IEND', b'')


S = requests.Session()
out = {}


def rec(name, method, params, files=None):
    params = dict(params, format='json')
    if method == 'GET':
        r = S.get(API, params=params)
    else:
        r = S.post(API, data=params, files=files)
    body = r.json()
    shown = {k: v for k, v in params.items() if k != 'token'}
    out[name] = {'request': {'method': method, 'params': shown,
                             'files': {k: len(v[1]) for k, v in (files or {}).items()}},
                 'response': body}
    print(name, json.dumps(body)[:200])
    return body


lt = S.get(API, params={'action': 'query', 'meta': 'tokens', 'type': 'login', 'format': 'json'}).json()['query']['tokens']['logintoken']
S.post(API, data={'action': 'login', 'lgname': os.environ['BOT_USER'], 'lgpassword': os.environ['BOT_PASS'], 'lgtoken': lt, 'format': 'json'})
tok = S.get(API, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']
a = f'{PREFIX}-a.png'
v1, v2 = png(16, 16, 11), png(16, 16, 12)
rec('upload-v1', 'POST', {'action': 'upload', 'filename': a, 'comment': 'one', 'text': 'desc', 'token': tok}, {'file': ('f', v1)})
rec('upload-v2', 'POST', {'action': 'upload', 'filename': a, 'comment': 'two', 'ignorewarnings': '1', 'token': tok}, {'file': ('f', v2)})
ii = rec('imageinfo-history', 'GET', {'action': 'query', 'titles': 'File:' + a, 'prop': 'imageinfo', 'iilimit': 'max',
                                       'iiprop': 'timestamp|user|comment|sha1|archivename|url', 'formatversion': '2'})
archive = ii['query']['pages'][0]['imageinfo'][1]['archivename']
rec('filerevert', 'POST', {'action': 'filerevert', 'filename': a, 'archivename': archive, 'comment': 'back to one', 'token': tok})
rec('filerevert-badversion', 'POST', {'action': 'filerevert', 'filename': a, 'archivename': '20000101000000!' + a, 'token': tok})
ii = rec('imageinfo-after-revert', 'GET', {'action': 'query', 'titles': 'File:' + a, 'prop': 'imageinfo', 'iilimit': 'max',
                                            'iiprop': 'timestamp|comment|sha1|archivename', 'formatversion': '2'})
old = ii['query']['pages'][0]['imageinfo'][1]['archivename']
rec('delete-oldimage', 'POST', {'action': 'delete', 'title': 'File:' + a, 'oldimage': old, 'reason': 'old one', 'token': tok})
rec('logevents-upload', 'GET', {'action': 'query', 'list': 'logevents', 'letype': 'upload', 'letitle': 'File:' + a,
                                'leprop': 'title|type|user|comment|details', 'formatversion': '2'})
rec('upload-copy', 'POST', {'action': 'upload', 'filename': f'{PREFIX}-copy.png', 'ignorewarnings': '1', 'token': tok}, {'file': ('f', v1)})
rec('duplicatefiles', 'GET', {'action': 'query', 'prop': 'duplicatefiles', 'titles': 'File:' + a, 'formatversion': '2'})
rec('delete-file', 'POST', {'action': 'delete', 'title': 'File:' + a, 'reason': 'gone', 'token': tok})
rec('logevents-delete', 'GET', {'action': 'query', 'list': 'logevents', 'letype': 'delete', 'letitle': 'File:' + a,
                                'leprop': 'title|type|user|comment', 'formatversion': '2'})
rec('undelete', 'POST', {'action': 'undelete', 'title': 'File:' + a, 'reason': 'back', 'token': tok})
rec('badtags', 'POST', {'action': 'upload', 'filename': f'{PREFIX}-tag.png', 'tags': 'nope', 'token': tok}, {'file': ('f', png(8, 8, 3))})
dest = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests/fixtures/refwiki-history.json')
json.dump(out, open(dest, 'w'), indent=1, ensure_ascii=False)
print('wrote', dest)
