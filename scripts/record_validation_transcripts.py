#!/usr/bin/env python3
"""Records how MediaWiki validates request parameters (declared order, types, limits, enums,
deprecation, token checks) into tests/fixtures/refwiki-validation.json, and the full
`action=paraminfo` of every module mwupload serves into tests/fixtures/refwiki-paraminfo.json
(formatversion 2) and refwiki-paraminfo-fv1.json.

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_validation_transcripts.py

Each case is data: who sends it (anon or the bot), GET or POST, the parameters (the value
"CSRF" is replaced by a real token; keys listed in "query" go into the URL of a POST). The Rust
test tests/validation.rs replays every case against mwupload and compares the answers.
"""
import json
import sys
import os

import requests

API = os.environ['API_URL']
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')

PATHS = ('main|clientlogin|delete|edit|filerevert|help|login|logout|paraminfo|query|undelete|upload|'
         'query+tokens|query+userinfo|query+siteinfo|query+info|query+imageinfo|query+revisions|'
         'query+stashimageinfo|query+duplicatefiles|query+allimages|query+filearchive|query+logevents|'
         'query+watchlistraw|query+templates|json|jsonfm|xml|xmlfm|php|phpfm|none|rawfm|'
         'checktoken|query+users|query+mystashedfiles|query+authmanagerinfo|query+filerepoinfo|'
         'query+imageusage|query+fileusage|query+images|purge|query+allmessages')

MISSING = 'File:Validation-missing.png'
CASES = [
    # Multi-valued enums: unknown values are warnings, not errors.
    ('inprop-unrecognized', 'anon', 'GET', {'action': 'query', 'prop': 'info', 'titles': 'Nope', 'inprop': 'bogus|url'}),
    ('inprop-unrecognized-two', 'anon', 'GET', {'action': 'query', 'prop': 'info', 'titles': 'Nope', 'inprop': 'bogus|worse'}),
    ('prop-unrecognized', 'anon', 'GET', {'action': 'query', 'prop': 'bogus', 'titles': 'Nope'}),
    ('tokens-bogus', 'anon', 'GET', {'action': 'query', 'meta': 'tokens', 'type': 'csrf|bogus'}),
    ('tokens-all', 'anon', 'GET', {'action': 'query', 'meta': 'tokens', 'type': '*'}),
    ('paraminfo-unknown-module', 'anon', 'GET', {'action': 'paraminfo', 'modules': 'bogus'}),
    # Limits and integers.
    ('iilimit-badinteger', 'anon', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': MISSING, 'iilimit': 'abc'}),
    ('iilimit-zero', 'anon', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': MISSING, 'iilimit': '0'}),
    ('iilimit-huge', 'anon', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': MISSING, 'iilimit': '100000'}),
    ('iilimit-max', 'anon', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': MISSING, 'iilimit': 'max'}),
    ('iilimit-spaces', 'anon', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': MISSING, 'iilimit': ' 5 '}),
    ('iiurlwidth-badinteger', 'anon', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': MISSING, 'iiurlwidth': 'wide'}),
    ('maxlag-badinteger', 'anon', 'GET', {'action': 'query', 'meta': 'tokens', 'maxlag': 'abc'}),
    ('iistart-badtimestamp', 'anon', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': MISSING, 'iistart': 'garbage'}),
    ('titles-toomany', 'anon', 'GET', {'action': 'query', 'titles': '|'.join(f'T{i}' for i in range(51))}),
    # Single-valued enums.
    ('action-bogus', 'anon', 'GET', {'action': 'bogus'}),
    ('aisort-bogus', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aisort': 'bogus'}),
    ('aisort-empty', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aisort': '', 'aiprefix': 'Zzz-none'}),
    ('aiprop-unrecognized', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aiprop': 'bogus|size', 'aiprefix': 'Zzz-none'}),
    ('aisort-bogus-plaintext', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aisort': 'bogus', 'errorformat': 'plaintext'}),
    ('letype-bogus', 'anon', 'GET', {'action': 'query', 'list': 'logevents', 'letype': 'bogus'}),
    ('assert-bogus', 'anon', 'GET', {'action': 'query', 'assert': 'bogus'}),
    # Module parameters are validated in declared order, before the token.
    ('upload-get-anon', 'anon', 'GET', {'action': 'upload', 'filename': 'A.png'}),
    ('upload-watchlist-bogus-no-token', 'anon', 'POST', {'action': 'upload', 'watchlist': 'bogus'}),
    ('upload-filesize-bad-no-token', 'anon', 'POST', {'action': 'upload', 'filesize': 'abc'}),
    ('upload-order', 'anon', 'POST', {'action': 'upload', 'filesize': 'abc', 'watchlist': 'bogus'}),
    ('upload-file-as-text', 'anon', 'POST', {'action': 'upload', 'file': 'abc'}),
    ('upload-notmulti', 'anon', 'POST', {'action': 'upload', 'filename': '\x1fa.png'}),
    ('upload-offset-negative-no-token', 'anon', 'POST', {'action': 'upload', 'offset': '-5'}),
    ('upload-token-in-query', 'bot', 'POST', {'action': 'upload', 'filename': 'A.png', 'token': 'CSRF'}, ['token']),
    ('upload-badtoken', 'bot', 'POST', {'action': 'upload', 'filename': 'A.png', 'token': 'bogus+\\'}),
    ('upload-deprecated', 'bot', 'POST', {'action': 'upload', 'filename': 'Validation.png', 'watch': '1', 'sessionkey': 'nope', 'checkstatus': '1', 'token': 'CSRF'}),
    ('filerevert-missing', 'bot', 'POST', {'action': 'filerevert', 'token': 'CSRF'}),
    ('filerevert-missing-no-token', 'anon', 'POST', {'action': 'filerevert'}),
    ('edit-watchlist-bogus', 'anon', 'POST', {'action': 'edit', 'title': 'X', 'watchlist': 'bogus'}),
    ('delete-pageid-bad', 'anon', 'POST', {'action': 'delete', 'pageid': 'abc'}),
    ('undelete-fileids-bad', 'anon', 'POST', {'action': 'undelete', 'title': 'X', 'fileids': '1|abc'}),
    ('clientlogin-no-token', 'anon', 'POST', {'action': 'clientlogin'}),
    ('login-get', 'anon', 'GET', {'action': 'login', 'lgname': 'x'}),
    ('unknown-param', 'anon', 'GET', {'action': 'query', 'meta': 'tokens', 'bogusparam': '1'}),
    # Warnings from several modules: each module's entry goes on top (newest first).
    ('warnings-order', 'anon', 'GET', {'action': 'query', 'prop': 'info', 'titles': 'X', 'inprop': 'bogus', 'foo': '1',
                                       'meta': 'tokens', 'type': 'bogus2'}),
    ('warnings-order-plaintext', 'anon', 'GET', {'action': 'query', 'prop': 'info', 'titles': 'X', 'inprop': 'bogus', 'foo': '1',
                                                 'meta': 'tokens', 'type': 'bogus2', 'errorformat': 'plaintext'}),
    ('paraminfo-unknown-submodule', 'anon', 'GET', {'action': 'paraminfo', 'modules': 'query+bogus'}),
    ('formatversion-bogus', 'anon', 'GET', {'action': 'query', 'formatversion': '3'}),
    ('tokens-origin', 'anon', 'GET', {'action': 'query', 'meta': 'tokens', 'origin': '*'}),
    ('rvlimit-several-titles', 'anon', 'GET', {'action': 'query', 'prop': 'revisions', 'titles': 'A|B', 'rvlimit': '2'}),
]


def session(who):
    s = requests.Session()
    if who == 'bot':
        lt = s.get(API, params={'action': 'query', 'meta': 'tokens', 'type': 'login', 'format': 'json'}).json()['query']['tokens']['logintoken']
        r = s.post(API, data={'action': 'login', 'lgname': os.environ['BOT_USER'], 'lgpassword': os.environ['BOT_PASS'],
                              'lgtoken': lt, 'format': 'json'}).json()
        assert r['login']['result'] == 'Success', r
    return s


def record_cases(cases, fixture):
    """Sends each case to the wiki and writes cases and answers to tests/fixtures/`fixture`."""
    sessions = {'anon': session('anon'), 'bot': session('bot')}
    csrf = sessions['bot'].get(API, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']
    out = []
    for case in cases:
        name, who, method, params = case[:4]
        in_query = case[4] if len(case) > 4 else []
        s = sessions[who]
        sent = {'format': 'json', 'formatversion': '2', **params}
        real = {k: (csrf if v == 'CSRF' else v) for k, v in sent.items()}
        if method == 'GET':
            r = s.get(API, params=real)
        else:
            r = s.post(API, params={k: real[k] for k in in_query}, data={k: v for k, v in real.items() if k not in in_query})
        body = r.json()
        out.append({'name': name, 'who': who, 'method': method, 'params': sent, 'query': in_query,
                    'status': r.status_code, 'error_header': r.headers.get('MediaWiki-API-Error'), 'response': body})
        print(name, json.dumps(body)[:160])
    with open(os.path.join(ROOT, 'tests/fixtures', fixture), 'w') as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write('\n')


def main():
    # --paraminfo-only: re-record only the module descriptions (after adding a module to PATHS).
    if '--paraminfo-only' not in sys.argv:
        record_cases(CASES, 'refwiki-validation.json')
    # formatversion 2, and 1 (what pywikibot reads: true as "", false left out).
    for fv, name in (('2', 'refwiki-paraminfo.json'), ('1', 'refwiki-paraminfo-fv1.json')):
        info = requests.get(API, params={'action': 'paraminfo', 'modules': PATHS, 'format': 'json',
                                         'formatversion': fv}).json()
        assert 'warnings' not in info, info['warnings']
        with open(os.path.join(ROOT, 'tests/fixtures', name), 'w') as f:
            json.dump(info, f, indent=1, ensure_ascii=False)
            f.write('\n')


if __name__ == '__main__':
    main()
