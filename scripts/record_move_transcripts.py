#!/usr/bin/env python3
"""Records MediaWiki 1.39's answers to action=move of File pages (the move, what the wiki shows
afterwards, and the errors) into tests/fixtures/refwiki-move.json; tests/move.rs asserts the
same shapes against mwupload.

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_move_transcripts.py

Page names carry a per-run suffix (the fixture's "run"), so the recording needs no fresh wiki:
a case's parameters and answers use the placeholder RUN for it.
"""
import json
import os
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngkit import png  # noqa: E402
from record_validation_transcripts import API, ROOT, session  # noqa: E402

RUN = str(int(time.time()))


def upload(s, csrf, name, seed):
    r = s.post(API, data={'action': 'upload', 'filename': name, 'ignorewarnings': '1', 'token': csrf,
                          'comment': 'move fixture', 'format': 'json'},
               files={'file': (name, png(4, 3, seed), 'image/png')}).json()
    assert r['upload']['result'] == 'Success', r


def main():
    bot, anon = session('bot'), session('anon')
    csrf = bot.get(API, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']
    a, b, c = f'Move-A-{RUN}.png', f'Move-B-{RUN}.png', f'Move-C-{RUN}.png'
    upload(bot, csrf, a, 1)
    upload(bot, csrf, a, 2)   # a has one old version
    upload(bot, csrf, c, 3)
    cases = [
        ('anon-denied', 'anon', {'action': 'move', 'from': f'File:{a}', 'to': f'File:{b}', 'token': '+\\'}),
        ('selfmove', 'bot', {'action': 'move', 'from': f'File:{a}', 'to': f'File:{a}', 'token': 'CSRF'}),
        ('missingtitle', 'bot', {'action': 'move', 'from': f'File:Move-none-{RUN}.png', 'to': f'File:{b}', 'token': 'CSRF'}),
        ('exists', 'bot', {'action': 'move', 'from': f'File:{a}', 'to': f'File:{c}', 'token': 'CSRF'}),
        ('crossnamespace', 'bot', {'action': 'move', 'from': f'File:{a}', 'to': f'Move-page-{RUN}', 'token': 'CSRF'}),
        ('typemismatch', 'bot', {'action': 'move', 'from': f'File:{a}', 'to': f'File:Move-B-{RUN}.jpg', 'token': 'CSRF'}),
        ('noext', 'bot', {'action': 'move', 'from': f'File:{a}', 'to': f'File:Move-B-{RUN}', 'token': 'CSRF'}),
        ('badtitle', 'bot', {'action': 'move', 'from': f'File:{a}', 'to': 'File:A<b', 'token': 'CSRF'}),
        ('nofrom', 'bot', {'action': 'move', 'to': f'File:{b}', 'token': 'CSRF'}),
        ('noto', 'bot', {'action': 'move', 'from': f'File:{a}', 'token': 'CSRF'}),
        ('move', 'bot', {'action': 'move', 'from': f'File:{a}', 'to': f'File:{b}', 'reason': 'Fixture move',
                         'movetalk': '1', 'token': 'CSRF'}),
        ('after-imageinfo', 'anon', {'action': 'query', 'titles': f'File:{a}|File:{b}', 'prop': 'imageinfo|info',
                                     'iiprop': 'sha1|url|archivename', 'iilimit': 'max'}),
        ('after-log', 'anon', {'action': 'query', 'list': 'logevents', 'letype': 'move', 'letitle': f'File:{a}'}),
        ('after-redirect-rev', 'anon', {'action': 'query', 'titles': f'File:{a}', 'prop': 'revisions',
                                        'rvprop': 'content|comment|user', 'rvslots': 'main'}),
        ('after-moved-revs', 'anon', {'action': 'query', 'titles': f'File:{b}', 'prop': 'revisions',
                                      'rvprop': 'comment|user|size', 'rvlimit': 'max'}),
        ('move-noredirect', 'bot', {'action': 'move', 'from': f'File:{c}', 'to': f'File:Move-D-{RUN}.png',
                                    'noredirect': '1', 'token': 'CSRF'}),
        ('after-noredirect', 'anon', {'action': 'query', 'titles': f'File:{c}|File:Move-D-{RUN}.png', 'prop': 'info'}),
        ('after-noredirect-log', 'anon', {'action': 'query', 'list': 'logevents', 'letype': 'move', 'letitle': f'File:{c}'}),
        ('onto-redirect', 'bot', {'action': 'move', 'from': f'File:{b}', 'to': f'File:{a}', 'token': 'CSRF'}),
    ]
    out = []
    for name, who, params in cases:
        s = bot if who == 'bot' else anon
        sent = {'format': 'json', 'formatversion': '2', **params}
        real = {k: (csrf if v == 'CSRF' else v) for k, v in sent.items()}
        r = s.post(API, data=real) if params['action'] == 'move' else s.get(API, params=real)
        body = r.json()
        out.append({'name': name, 'who': who, 'params': json.loads(json.dumps(sent).replace(RUN, 'RUN')),
                    'status': r.status_code, 'error_header': r.headers.get('MediaWiki-API-Error'),
                    'response': json.loads(json.dumps(body).replace(RUN, 'RUN'))})
        print(name, json.dumps(body)[:300])
    with open(os.path.join(ROOT, 'tests/fixtures/refwiki-move.json'), 'w') as f:
        json.dump({'run': 'RUN', 'cases': out}, f, indent=1, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    main()
