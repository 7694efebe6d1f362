#!/usr/bin/env python3
"""Records MediaWiki's answers for "who may upload what" (issue 16): page and upload protection,
create protection, blocks (sitewide and partial), user rights with expiry, and what an upload
by a protected-against or blocked user gets; into tests/fixtures/refwiki-rights.json.

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_rights_transcripts.py [--prefix Rights]

The administrator logs in with clientlogin (bot passwords lack the protect/block/userrights
grants); a second, ordinary account is created with action=createaccount. Names carry the
prefix, so a re-run on the same wiki uses --prefix to stay clear of the first run's pages.
"""
import json
import os
import sys

import requests

API = os.environ['API_URL']
PREFIX = sys.argv[sys.argv.index('--prefix') + 1] if '--prefix' in sys.argv else 'Rights'

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngkit import png  # noqa: E402

out = {}


def session():
    return requests.Session()


def token(s, kind='csrf'):
    r = s.get(API, params={'action': 'query', 'meta': 'tokens', 'type': kind, 'format': 'json'}).json()
    return r['query']['tokens'][kind + 'token']


def rec(s, name, method, params, files=None):
    params = dict(params, format='json')
    if method == 'GET':
        r = s.get(API, params=params)
    else:
        r = s.post(API, data=params, files=files)
    body = r.json()
    shown = {k: v for k, v in params.items() if k not in ('token', 'password', 'retype', 'logintoken', 'createtoken')}
    out[name] = {'request': {'method': method, 'params': shown,
                             'files': {k: len(v[1]) for k, v in (files or {}).items()}},
                 'response': body}
    print(name, json.dumps(body)[:240])
    return body


def clientlogin(s, user, password):
    r = s.post(API, data={'action': 'clientlogin', 'username': user, 'password': password,
                          'loginreturnurl': 'http://localhost/', 'logintoken': token(s, 'login'), 'format': 'json'}).json()
    assert r['clientlogin']['status'] == 'PASS', r


admin = session()
clientlogin(admin, os.environ['ADMIN_USER'], os.environ['ADMIN_PASS'])
atok = token(admin)

# An ordinary account (autoconfirmed once it is old enough; a fresh one is just "user").
user_name = f'{PREFIX}user'
user_pass = 'Rights-user-password-1234'
anon = session()
r = anon.post(API, data={'action': 'createaccount', 'username': user_name, 'password': user_pass, 'retype': user_pass,
                         'createreturnurl': 'http://localhost/', 'createtoken': token(anon, 'createaccount'),
                         'format': 'json'}).json()
print('createaccount', r)
user = session()
clientlogin(user, user_name, user_pass)
utok = token(user)

prot = f'{PREFIX}-protected.png'
free = f'{PREFIX}-free.png'
later = f'{PREFIX}-createprotected.png'
rec(admin, 'upload-protected-v1', 'POST', {'action': 'upload', 'filename': prot, 'ignorewarnings': '1', 'token': atok}, {'file': ('f', png(16, 16, 61))})
rec(admin, 'upload-free-v1', 'POST', {'action': 'upload', 'filename': free, 'ignorewarnings': '1', 'token': atok}, {'file': ('f', png(16, 16, 62))})

# Protection of an existing file: edit, move and upload levels.
rec(admin, 'protect-existing', 'POST', {'action': 'protect', 'title': 'File:' + prot,
                                        'protections': 'edit=sysop|move=sysop|upload=sysop',
                                        'expiry': 'infinite|infinite|1 week', 'reason': 'vandal magnet', 'token': atok})
rec(admin, 'info-protection', 'GET', {'action': 'query', 'titles': 'File:' + prot + '|File:' + free, 'prop': 'info',
                                      'inprop': 'protection', 'formatversion': '2'})
rec(user, 'user-upload-over-protected', 'POST', {'action': 'upload', 'filename': prot, 'ignorewarnings': '1', 'token': utok},
    {'file': ('f', png(16, 16, 63))})
rec(user, 'user-upload-over-protected-stash', 'POST', {'action': 'upload', 'filename': prot, 'stash': '1', 'ignorewarnings': '1', 'token': utok},
    {'file': ('f', png(16, 16, 64))})
rec(user, 'user-chunk-over-protected', 'POST', {'action': 'upload', 'filename': prot, 'stash': '1', 'filesize': '3000', 'offset': '0',
                                                'ignorewarnings': '1', 'token': utok}, {'chunk': ('f', png(64, 64, 65)[:1500])})
rec(user, 'user-edit-protected', 'POST', {'action': 'edit', 'title': 'File:' + prot, 'text': 'x', 'token': utok})
rec(user, 'user-upload-over-free', 'POST', {'action': 'upload', 'filename': free, 'ignorewarnings': '1', 'token': utok},
    {'file': ('f', png(16, 16, 66))})
rec(user, 'user-protect-denied', 'POST', {'action': 'protect', 'title': 'File:' + free, 'protections': 'edit=sysop', 'token': utok})
rec(admin, 'protect-invalid-level', 'POST', {'action': 'protect', 'title': 'File:' + free, 'protections': 'edit=godmode', 'token': atok})
rec(admin, 'protect-invalid-type', 'POST', {'action': 'protect', 'title': 'File:' + free, 'protections': 'create=sysop', 'token': atok})
rec(admin, 'protect-bad-expiry', 'POST', {'action': 'protect', 'title': 'File:' + free, 'protections': 'edit=sysop', 'expiry': 'whenever', 'token': atok})

# Create protection of a title that does not exist.
rec(admin, 'protect-create', 'POST', {'action': 'protect', 'title': 'File:' + later, 'protections': 'create=sysop',
                                      'expiry': 'infinite', 'reason': 'not yet', 'token': atok})
rec(admin, 'protectedtitles', 'GET', {'action': 'query', 'list': 'protectedtitles', 'ptnamespace': '6',
                                      'ptprop': 'timestamp|user|comment|expiry|level', 'formatversion': '2'})
rec(admin, 'info-protection-missing', 'GET', {'action': 'query', 'titles': 'File:' + later, 'prop': 'info', 'inprop': 'protection', 'formatversion': '2'})
rec(user, 'user-edit-createprotected', 'POST', {'action': 'edit', 'title': 'File:' + later, 'text': 'x', 'token': utok})
rec(user, 'user-upload-createprotected', 'POST', {'action': 'upload', 'filename': later, 'token': utok}, {'file': ('f', png(16, 16, 67))})
rec(admin, 'logevents-protect', 'GET', {'action': 'query', 'list': 'logevents', 'letype': 'protect',
                                        'leprop': 'title|type|user|comment|details', 'formatversion': '2'})
rec(admin, 'unprotect', 'POST', {'action': 'protect', 'title': 'File:' + prot, 'protections': 'edit=all|move=all|upload=all', 'token': atok})
rec(user, 'user-upload-after-unprotect', 'POST', {'action': 'upload', 'filename': prot, 'ignorewarnings': '1', 'token': utok},
    {'file': ('f', png(16, 16, 68))})

# User rights.
rec(admin, 'userrights-add', 'POST', {'action': 'userrights', 'user': user_name, 'add': 'bot|sysop', 'expiry': 'infinite|1 month',
                                      'reason': 'trusted', 'token': token(admin, 'userrights')})
rec(user, 'userinfo-after-add', 'GET', {'action': 'query', 'meta': 'userinfo', 'uiprop': 'groups|groupmemberships|rights|ratelimits', 'formatversion': '2'})
rec(admin, 'userrights-remove', 'POST', {'action': 'userrights', 'user': user_name, 'remove': 'sysop|bot', 'reason': 'done', 'token': token(admin, 'userrights')})
rec(admin, 'userrights-bad-group', 'POST', {'action': 'userrights', 'user': user_name, 'add': 'nosuchgroup', 'token': token(admin, 'userrights')})
rec(user, 'userrights-denied', 'POST', {'action': 'userrights', 'user': user_name, 'add': 'sysop', 'token': token(user, 'userrights')})
rec(admin, 'logevents-rights', 'GET', {'action': 'query', 'list': 'logevents', 'letype': 'rights',
                                       'leprop': 'title|type|user|comment|details', 'formatversion': '2'})

# Blocks: partial (one page), then sitewide.
rec(admin, 'block-partial', 'POST', {'action': 'block', 'user': user_name, 'expiry': '1 day', 'reason': 'not that file',
                                     'partial': '1', 'allowusertalk': '1', 'pagerestrictions': 'File:' + free, 'token': atok})
rec(user, 'partial-upload-restricted', 'POST', {'action': 'upload', 'filename': free, 'ignorewarnings': '1', 'token': utok},
    {'file': ('f', png(16, 16, 69))})
rec(user, 'partial-upload-other', 'POST', {'action': 'upload', 'filename': f'{PREFIX}-other.png', 'ignorewarnings': '1', 'token': utok},
    {'file': ('f', png(16, 16, 70))})
rec(admin, 'block-sitewide', 'POST', {'action': 'block', 'user': user_name, 'expiry': '1 day', 'reason': 'vandalism',
                                      'reblock': '1', 'nocreate': '1', 'token': atok})
rec(admin, 'blocks', 'GET', {'action': 'query', 'list': 'blocks', 'bkusers': user_name,
                             'bkprop': 'id|user|by|timestamp|expiry|reason|flags|restrictions', 'formatversion': '2'})
rec(user, 'blocked-userinfo', 'GET', {'action': 'query', 'meta': 'userinfo', 'uiprop': 'blockinfo|rights', 'formatversion': '2'})
rec(user, 'blocked-upload', 'POST', {'action': 'upload', 'filename': f'{PREFIX}-blocked.png', 'formatversion': '2', 'token': utok}, {'file': ('f', png(16, 16, 71))})
rec(user, 'blocked-upload-fv1', 'POST', {'action': 'upload', 'filename': f'{PREFIX}-blocked.png', 'token': utok}, {'file': ('f', png(16, 16, 71))})
rec(user, 'blocked-chunk', 'POST', {'action': 'upload', 'filename': f'{PREFIX}-blocked2.png', 'stash': '1', 'filesize': '3000', 'offset': '0', 'token': utok},
    {'chunk': ('f', png(64, 64, 72)[:1500])})
rec(user, 'blocked-edit', 'POST', {'action': 'edit', 'title': 'File:' + free, 'text': 'y', 'token': utok})
rec(user, 'blocked-delete', 'POST', {'action': 'delete', 'title': 'File:' + free, 'token': utok})
rec(admin, 'block-already', 'POST', {'action': 'block', 'user': user_name, 'expiry': '1 day', 'token': atok})
rec(admin, 'block-nosuchuser', 'POST', {'action': 'block', 'user': f'{PREFIX}-ghost', 'expiry': '1 day', 'token': atok})
rec(admin, 'block-ip-range', 'POST', {'action': 'block', 'user': '192.0.2.0/24', 'expiry': '2 hours', 'anononly': '1', 'reason': 'range', 'token': atok})
rec(admin, 'logevents-block', 'GET', {'action': 'query', 'list': 'logevents', 'letype': 'block',
                                      'leprop': 'title|type|user|comment|details', 'formatversion': '2'})
rec(admin, 'unblock', 'POST', {'action': 'unblock', 'user': user_name, 'reason': 'served', 'token': atok})
rec(admin, 'unblock-not-blocked', 'POST', {'action': 'unblock', 'user': user_name, 'token': atok})
rec(admin, 'unblock-range', 'POST', {'action': 'unblock', 'user': '192.0.2.0/24', 'token': atok})
rec(user, 'upload-after-unblock', 'POST', {'action': 'upload', 'filename': f'{PREFIX}-after.png', 'ignorewarnings': '1', 'token': utok},
    {'file': ('f', png(16, 16, 73))})

dest = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests/fixtures/refwiki-rights.json')
json.dump(out, open(dest, 'w'), indent=1, ensure_ascii=False)
print('wrote', dest)
