#!/usr/bin/env python3
"""Records MediaWiki's query continuation (ApiContinuationManager) and generator=allimages
answers into tests/fixtures/refwiki-continuation.json; tests/continuation.rs replays them.

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_continuation_transcripts.py [--prefix Cont]

Run it on a reference wiki where no file name starts with the prefix. Steps are data: an
upload (a PNG made by the same generator as tests/common/mod.rs::png()), an edit, a deletion, a pause,
or a query
whose "follow" flag merges the previous answer's "continue" object into it, as clients do.
"""
import json
import os
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngkit import png  # noqa: E402

API = os.environ['API_URL']
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
P = sys.argv[sys.argv.index('--prefix') + 1] if '--prefix' in sys.argv else 'Cont'


def q(name, params, follow=False, who='bot'):
    return {'name': name, 'who': who, 'params': params, 'follow': follow}


STEPS = [
    {'upload': f'{P}-a.png', 'png': [8, 8, 201]},
    # A second later: versions of one file in one second fail on MediaWiki and are moved a
    # second on by mwupload, either way not what this recording is about.
    {'sleep': 1.1},
    {'upload': f'{P}-a.png', 'png': [8, 8, 202]},
    {'upload': f'{P}-b.png', 'png': [8, 8, 203]},
    {'upload': f'{P}-c.png', 'png': [8, 8, 204]},
    {'upload': f'{P}-d.png', 'png': [16, 16, 205]},
    # A list module continues: the batch is complete, the generator part is "-".
    q('list-page1', {'list': 'allimages', 'aiprefix': P, 'ailimit': '2'}),
    q('list-page2', {'list': 'allimages', 'aiprefix': P, 'ailimit': '2'}, follow=True),
    # A finished module is skipped when the client echoes continue.
    q('mixed-page1', {'list': 'allimages', 'aiprefix': P, 'ailimit': '1', 'meta': 'userinfo', 'prop': 'info',
                      'titles': f'File:{P}-b.png'}),
    q('mixed-page2', {'list': 'allimages', 'aiprefix': P, 'ailimit': '1', 'meta': 'userinfo', 'prop': 'info',
                      'titles': f'File:{P}-b.png'}, follow=True),
    # generator=allimages, as mwclient's Site.allimages() sends it.
    q('gen-mwclient', {'generator': 'allimages', 'gaiprefix': P, 'gailimit': 'max', 'prop': 'info|imageinfo',
                       'inprop': 'protection'}),
    # The generator continues; prop modules run again on the next batch.
    q('gen-page1', {'generator': 'allimages', 'gaiprefix': P, 'gailimit': '2', 'prop': 'imageinfo',
                    'iiprop': 'sha1|size'}),
    q('gen-page2', {'generator': 'allimages', 'gaiprefix': P, 'gailimit': '2', 'prop': 'imageinfo',
                    'iiprop': 'sha1|size'}, follow=True),
    # A prop module continues (older versions of the one file): the batch repeats.
    q('gen-prop-page1', {'generator': 'allimages', 'gaiprefix': P, 'gailimit': '1', 'prop': 'info|imageinfo',
                         'iilimit': '1'}),
    q('gen-prop-page2', {'generator': 'allimages', 'gaiprefix': P, 'gailimit': '1', 'prop': 'info|imageinfo',
                         'iilimit': '1'}, follow=True),
    q('gen-prop-page3', {'generator': 'allimages', 'gaiprefix': P, 'gailimit': '1', 'prop': 'info|imageinfo',
                         'iilimit': '1'}, follow=True),
    # Several files: imageinfo does not continue into older versions.
    q('ii-two-files', {'prop': 'imageinfo', 'titles': f'File:{P}-a.png|File:{P}-b.png', 'iilimit': '1'}),
    q('bad-continue', {'list': 'allimages', 'aiprefix': P, 'continue': 'nonsense'}),
    # list=allimages filters and sort rules.
    q('ai-size', {'list': 'allimages', 'aiprefix': P, 'aiminsize': '300', 'aimaxsize': '100000', 'aiprop': 'size'}),
    q('ai-mime', {'list': 'allimages', 'aiprefix': P, 'aimime': 'image/gif|image/png', 'aiprop': 'mime'}),
    q('ai-mime-none', {'list': 'allimages', 'aiprefix': P, 'aimime': 'image/gif'}),
    q('ai-from-to', {'list': 'allimages', 'aifrom': f'{P}-b.png', 'aito': f'{P} c.png', 'aiprop': 'size'}),
    q('ai-descending', {'list': 'allimages', 'aifrom': f'{P}-c.png', 'aidir': 'descending', 'ailimit': '2',
                        'aiprefix': P}),
    # Newest first by upload time: three files a second apart, so the order is unambiguous.
    {'sleep': 1.1},
    {'upload': f'{P}-e.png', 'png': [8, 8, 206]},
    {'sleep': 1.1},
    {'upload': f'{P}-f.png', 'png': [8, 8, 207]},
    {'sleep': 1.1},
    {'upload': f'{P}-g.png', 'png': [8, 8, 208]},
    q('ai-time-page1', {'list': 'allimages', 'aisort': 'timestamp', 'aidir': 'older', 'ailimit': '2'}),
    # (One per page now: the reference wiki has older files after these four.)
    q('ai-time-page2', {'list': 'allimages', 'aisort': 'timestamp', 'aidir': 'older', 'ailimit': '1'}, follow=True),
    q('ai-time-with-prefix', {'list': 'allimages', 'aisort': 'timestamp', 'aiprefix': P}),
    q('ai-user-by-name', {'list': 'allimages', 'aiuser': 'Admin'}),
    q('ai-bad-sha1', {'list': 'allimages', 'aisha1': 'abc'}),
    q('ai-bad-sha1base36', {'list': 'allimages', 'aisha1base36': 'abc'}),
    q('gen-size', {'generator': 'allimages', 'gaiprefix': P, 'gaiminsize': '300'}),
    # list=filearchive walks versions of one deleted file one at a time ("name|timestamp|id").
    {'upload': f'{P}-z.png', 'png': [8, 8, 209]},
    {'sleep': 1.1},
    {'upload': f'{P}-z.png', 'png': [8, 8, 210]},
    {'sleep': 1.1},
    {'upload': f'{P}-z.png', 'png': [8, 8, 211]},
    {'delete': f'File:{P}-z.png'},
    q('fa-page1', {'list': 'filearchive', 'faprefix': f'{P}-z', 'falimit': '1', 'faprop': 'sha1|size'}),
    q('fa-page2', {'list': 'filearchive', 'faprefix': f'{P}-z', 'falimit': '1', 'faprop': 'sha1|size'}, follow=True),
    q('fa-page3', {'list': 'filearchive', 'faprefix': f'{P}-z', 'falimit': '1', 'faprop': 'sha1|size'}, follow=True),
    q('fa-descending', {'list': 'filearchive', 'faprefix': f'{P}-z', 'fadir': 'descending', 'faprop': 'sha1'}),
    q('fa-to', {'list': 'filearchive', 'fafrom': f'{P}-y', 'fato': f'{P}-z0', 'faprop': 'sha1'}),
    q('fa-bad-continue', {'list': 'filearchive', 'facontinue': 'x|y'}),
    # Page ids: one that names no page, and pageids with titles.
    q('pageids-missing', {'pageids': '987654321'}),
    q('pageids-and-titles', {'pageids': '1', 'titles': 'X'}),
    # prop=templates: what a page transcludes, as written (namespaces, modifiers, magic words).
    {'edit': f'{P}-tpl', 'text': '{{Information\n|description={{en|1=A cat}}\n|date=2020}}\n'
                                 '{{ bots | deny=all }} {{:No such main page}} {{User:Admin/box}} {{information}} '
                                 '{{PAGENAME}} {{lc:ABC}} {{msgnw:Shown}} <!-- {{Hidden}} --> '
                                 '<nowiki>{{Literal}}</nowiki>'},
    q('tl-all', {'prop': 'templates', 'titles': f'{P}-tpl'}),
    q('tl-namespace', {'prop': 'templates', 'titles': f'{P}-tpl', 'tlnamespace': '10'}),
    q('tl-page1', {'prop': 'templates', 'titles': f'{P}-tpl', 'tllimit': '2'}),
    q('tl-page2', {'prop': 'templates', 'titles': f'{P}-tpl', 'tllimit': '2'}, follow=True),
    q('tl-only', {'prop': 'templates', 'titles': f'{P}-tpl', 'tltemplates': 'Template:Bots|User:Admin/box'}),
    q('tl-descending', {'prop': 'templates', 'titles': f'{P}-tpl', 'tldir': 'descending', 'tllimit': '3'}),
    # generator=templates, as pywikibot's Page.templates() sends it.
    q('gen-templates', {'generator': 'templates', 'titles': f'{P}-tpl', 'gtlnamespace': '10', 'prop': 'info'}),
    q('gen-templates-page1', {'generator': 'templates', 'titles': f'{P}-tpl', 'gtllimit': '2'}),
    q('gen-templates-page2', {'generator': 'templates', 'titles': f'{P}-tpl', 'gtllimit': '2'}, follow=True),
    # prop=revisions enumeration filters (one page, three revisions by the bot).
    {'edit': f'{P}-tpl', 'text': 'second'},
    {'edit': f'{P}-tpl', 'text': 'third'},
    q('rv-user', {'prop': 'revisions', 'titles': f'{P}-tpl', 'rvuser': 'Admin', 'rvprop': 'ids|user'}),
    q('rv-excludeuser', {'prop': 'revisions', 'titles': f'{P}-tpl', 'rvexcludeuser': 'Admin', 'rvprop': 'ids'}),
    q('rv-start-newer', {'prop': 'revisions', 'titles': f'{P}-tpl', 'rvstart': '2000-01-01T00:00:00Z', 'rvdir': 'newer',
                         'rvlimit': '2', 'rvprop': 'ids|size'}),
    q('rv-start-older', {'prop': 'revisions', 'titles': f'{P}-tpl', 'rvstart': '2000-01-01T00:00:00Z', 'rvprop': 'ids'}),
    q('rv-end-older', {'prop': 'revisions', 'titles': f'{P}-tpl', 'rvend': '2000-01-01T00:00:00Z', 'rvprop': 'size'}),
    q('rv-tag', {'prop': 'revisions', 'titles': f'{P}-tpl', 'rvtag': 'no-such-tag', 'rvprop': 'ids'}),
    q('rv-startid-and-start', {'prop': 'revisions', 'titles': f'{P}-tpl', 'rvstartid': '1', 'rvstart': '2000-01-01T00:00:00Z'}),
    q('rv-user-and-excludeuser', {'prop': 'revisions', 'titles': f'{P}-tpl', 'rvuser': 'A', 'rvexcludeuser': 'B'}),
    # list=logevents filters.
    q('le-prefix', {'list': 'logevents', 'letype': 'upload', 'leprefix': f'File:{P}-', 'leprop': 'title|type'}),
    q('le-title-page1', {'list': 'logevents', 'letitle': f'File:{P}-a.png', 'lelimit': '1', 'leprop': 'title|type'}),
    q('le-title-page2', {'list': 'logevents', 'letitle': f'File:{P}-a.png', 'lelimit': '1', 'leprop': 'title|type'},
      follow=True),
    q('le-newer', {'list': 'logevents', 'leprefix': f'File:{P}-', 'ledir': 'newer', 'lelimit': '3', 'leprop': 'title|type'}),
    q('le-other-namespace', {'list': 'logevents', 'letitle': f'File:{P}-a.png', 'lenamespace': '0'}),
    q('le-action', {'list': 'logevents', 'leaction': 'upload/overwrite', 'leprefix': f'File:{P}-', 'leprop': 'title|type'}),
    q('le-tag', {'list': 'logevents', 'letag': 'no-such-tag', 'leprefix': f'File:{P}-'}),
    q('le-bad-namespace', {'list': 'logevents', 'lenamespace': '99'}),
    q('le-title-and-prefix', {'list': 'logevents', 'letitle': 'File:X.png', 'leprefix': 'File:X'}),
    q('le-bad-continue', {'list': 'logevents', 'lecontinue': 'abc'}),
]


def main():
    s = requests.Session()
    lt = s.get(API, params={'action': 'query', 'meta': 'tokens', 'type': 'login', 'format': 'json'}).json()['query']['tokens']['logintoken']
    r = s.post(API, data={'action': 'login', 'lgname': os.environ['BOT_USER'], 'lgpassword': os.environ['BOT_PASS'],
                          'lgtoken': lt, 'format': 'json'}).json()
    assert r['login']['result'] == 'Success', r
    csrf = s.get(API, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']
    out = []
    prev = None
    for step in STEPS:
        if 'sleep' in step:
            time.sleep(step['sleep'])
            out.append(step)
            continue
        if 'edit' in step:
            r = s.post(API, data={'action': 'edit', 'title': step['edit'], 'text': step['text'], 'token': csrf,
                                  'format': 'json'}).json()
            assert r['edit']['result'] == 'Success', r
            out.append(step)
            continue
        if 'delete' in step:
            r = s.post(API, data={'action': 'delete', 'title': step['delete'], 'token': csrf, 'format': 'json'}).json()
            assert 'delete' in r, r
            out.append(step)
            continue
        if 'upload' in step:
            r = s.post(API, data={'action': 'upload', 'filename': step['upload'], 'ignorewarnings': '1', 'token': csrf,
                                  'format': 'json'}, files={'file': ('f.png', png(*step['png']))}).json()
            assert r['upload']['result'] == 'Success', r
            out.append(step)
            continue
        params = dict(step['params'], action='query', format='json', formatversion='2')
        if step['follow']:
            params.update(prev['continue'])
        body = s.get(API, params=params).json()
        out.append(dict(step, response=body))
        prev = body
        print(step['name'], json.dumps(body)[:200])
    with open(os.path.join(ROOT, 'tests/fixtures/refwiki-continuation.json'), 'w') as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    main()
