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
import sys

import requests

API = os.environ['API_URL']
PREFIX = sys.argv[sys.argv.index('--prefix') + 1] if '--prefix' in sys.argv else 'Hist'


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngkit import png  # noqa: E402


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
