#!/usr/bin/env python3
"""Records how MediaWiki shows a file of a shared repository (issue 16, `$wgForeignFileRepos` with
ForeignAPIRepo), into tests/fixtures/refwiki-shared-repo.json (replayed by tests/shared_repos.rs).

Two reference wikis are needed: SHARED_API, the shared repository (any MediaWiki), and API_URL,
a wiki that uses it. Start two with setup.sh in their own directories and ports, e.g.

    REFWIKI_DIR=/tmp/rw-shared REFWIKI_PORT=8092 REFWIKI_MEMCACHED_PORT=11392 bash setup.sh
    REFWIKI_DIR=/tmp/rw-user   REFWIKI_PORT=8091 REFWIKI_MEMCACHED_PORT=11391 bash setup.sh

and give the second one the shared repository (mwupload's defaults, spelled out):

    $wgForeignFileRepos[] = [ 'class' => ForeignAPIRepo::class, 'name' => 'shared',
        'apibase' => 'http://127.0.0.1:8092/w/api.php',
        'fetchDescription' => false, 'descriptionCacheExpiry' => 43200 ];

and a bot password without reupload-shared (the uploadfile grant only):

    createBotPassword.php --appid upfile --grants basic,editpage,createeditmovepage,uploadfile Admin <32 chars>

Then:

    set -a; . /tmp/rw-user/credentials.env; set +a
    SHARED_API=http://127.0.0.1:8092/w/api.php UPFILE_BOT_PASS=<32 chars> \\
        python3 scripts/record_shared_repo_transcripts.py [--prefix Shared]
"""
import json
import os
import sys

import requests

API = os.environ['API_URL']
SHARED = os.environ['SHARED_API']
PREFIX = sys.argv[sys.argv.index('--prefix') + 1] if '--prefix' in sys.argv else 'Shared'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'refwiki-shared-repo.json')

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngkit import png  # noqa: E402

out = {'shared_api': SHARED, 'api': API}


def token(s, api, kind='csrf'):
    r = s.get(api, params={'action': 'query', 'meta': 'tokens', 'type': kind, 'format': 'json'}).json()
    return r['query']['tokens'][kind + 'token']


def login(api, user, password):
    s = requests.Session()
    r = s.post(api, data={'action': 'login', 'lgname': user, 'lgpassword': password,
                          'lgtoken': token(s, api, 'login'), 'format': 'json'}).json()
    assert r['login']['result'] == 'Success', r
    return s


def rec(s, name, method, params, files=None):
    params = dict(params, format='json')
    if method == 'GET':
        r = s.get(API, params=params)
    else:
        r = s.post(API, data=params, files=files)
    body = r.json()
    shown = {k: v for k, v in params.items() if k != 'token'}
    out[name] = {'request': {'method': method, 'params': shown,
                             'files': {k: len(v[1]) for k, v in (files or {}).items()}},
                 'response': body}
    print(name, json.dumps(body)[:300])
    return body


name = f'{PREFIX}_logo.png'
logo = png(12, 9, 41)
shared = login(SHARED, os.environ['BOT_USER'], os.environ['BOT_PASS'])
r = shared.post(SHARED, data={'action': 'upload', 'filename': name, 'comment': 'from the shared wiki',
                              'ignorewarnings': '1', 'token': token(shared, SHARED), 'format': 'json'},
                files={'file': (name, logo)}).json()
assert r.get('upload', {}).get('result') == 'Success', r
out['shared_upload'] = r

anon = requests.Session()
props = 'timestamp|user|userid|comment|parsedcomment|canonicaltitle|url|size|sha1|mime|mediatype|metadata|commonmetadata|bitdepth'
rec(anon, 'imageinfo_fv2', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': f'File:{name}',
                                   'iiprop': props, 'formatversion': '2'})
rec(anon, 'imageinfo_fv1', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': f'File:{name}', 'iiprop': 'user|url'})
rec(anon, 'imageinfo_localonly', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': f'File:{name}',
                                         'iilocalonly': '1', 'formatversion': '2'})
rec(anon, 'filerepoinfo_fv2', 'GET', {'action': 'query', 'meta': 'filerepoinfo', 'formatversion': '2'})
rec(anon, 'filerepoinfo_fv1', 'GET', {'action': 'query', 'meta': 'filerepoinfo'})
rec(anon, 'duplicatefiles', 'GET', {'action': 'query', 'prop': 'duplicatefiles', 'titles': f'File:{name}', 'formatversion': '2'})

bot = login(API, os.environ['BOT_USER'], os.environ['BOT_PASS'])
rec(bot, 'upload_duplicate_of_shared', 'POST', {'action': 'upload', 'filename': f'Copy_of_{name}', 'token': token(bot, API)},
    files={'file': ('x.png', logo)})
upfile = login(API, 'Admin@upfile', os.environ['UPFILE_BOT_PASS'])
rec(upfile, 'upload_shadowing_without_reupload_shared', 'POST',
    {'action': 'upload', 'filename': name, 'ignorewarnings': '1', 'token': token(upfile, API)},
    files={'file': ('x.png', png(12, 9, 42))})
rec(bot, 'upload_shadowing_with_reupload_shared', 'POST',
    {'action': 'upload', 'filename': name, 'ignorewarnings': '1', 'token': token(bot, API)},
    files={'file': ('x.png', png(12, 9, 45))})

with open(OUT, 'w') as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write('\n')
print('wrote', OUT)
