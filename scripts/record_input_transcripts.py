#!/usr/bin/env python3
"""Records how MediaWiki cleans request input and rejects titles into
tests/fixtures/refwiki-input.json: C0 controls and non-NFC text become U+FFFD / NFC with the
"invalid or non-normalized data" warning, `titles` changed that way are listed in `normalized`
with `fromencoded`, U+001F multi-values are cleaned piece by piece, and every kind of invalid
title gets its own `invalidreason` (MediaWikiTitleCodec's MalformedTitleException messages).

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_input_transcripts.py

tests/validation.rs replays the cases against mwupload.
"""
from record_validation_transcripts import record_cases


def titles(name, value, **extra):
    return (name, 'anon', 'GET', {'action': 'query', 'titles': value, **extra})


CASES = [
    titles('titles-controls', 'Fo\x00o\x07x'),
    titles('titles-controls-fv1', 'Fo\x00o\x07x', formatversion='1'),
    titles('titles-not-nfc', 'e\u0301'),
    titles('titles-not-nfc-fv1', 'e\u0301', formatversion='1'),
    titles('titles-unit-separator', '\x1fFoo|1\x1fBar'),
    titles('titles-unit-separator-control', '\x1fA\x00|B\x1fC'),
    titles('titles-tab-newline-kept', 'A\tB|C\nD'),
    titles('titles-literal-replacement-char', 'A\ufffdB'),
    titles('titles-pipe-char', 'Foo|1'),
    titles('titles-illegal-brackets', 'A[b]|C{d}|E<f>'),
    titles('titles-percent-encoded', 'A%20B'),
    titles('titles-entity', 'A&amp;B|C&foo;D|E&#x41;F|G&#65;H'),
    titles('titles-empty-pieces', '|:|File:|Talk:'),
    titles('titles-talk-namespace', 'Talk:File:X|Talk:Project:Y|Talk:Nope:Z'),
    titles('titles-relative', './A|../A|A/./B|A/../B|A/.|A/..|.|..'),
    titles('titles-magic-tilde', 'A~~~B'),
    titles('titles-too-long', 'x' * 256),
    titles('titles-too-long-special', 'Special:' + 'x' * 513),
    titles('titles-long-ok', 'x' * 255),
    titles('titles-leading-colon', '::A|:File::B'),
    titles('titles-fragment', 'A#frag|#frag'),
    titles('titles-bidi-and-spaces', '\u200eA\u00a0\u00a0B_\u3000C'),
    titles('pageset-order', 'Zzz|Special:Upload|Bad[|Special:Nope|Media:X.png|Aaa|Talk:Bbb|Aaa', indexpageids='1'),
    titles('pageset-order-fv1', 'Zzz|Special:Upload|Bad[|Special:Nope|Media:X.png|Aaa|Talk:Bbb|Aaa', indexpageids='1',
           formatversion='1'),
    titles('pageset-duplicates', 'a|A|a|Special:Upload|special:upload'),
    titles('pageset-special-aliases', 'Special:userlogin|Special:UserLogin/x|Special:Listfiles'),
    ('allimages-from-control', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aifrom': 'a\x00b', 'ailimit': '1'}),
    ('allimages-prefix-not-nfc', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aiprefix': 'e\u0301-none', 'ailimit': '1'}),
    ('imageinfo-not-nfc-title', 'anon', 'GET', {'action': 'query', 'prop': 'imageinfo', 'titles': 'File:Caf\u0065\u0301-none.png'}),
    ('allimages-from-bad', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aifrom': 'a[b', 'ailimit': '1'}),
    ('allimages-from-fragment', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aifrom': 'a#b', 'ailimit': '1'}),
    ('allimages-prefix-namespace', 'anon', 'GET', {'action': 'query', 'list': 'allimages', 'aiprefix': 'Talk:zz-none', 'ailimit': '1'}),
    ('plaintext-badutf8', 'anon', 'GET', {'action': 'query', 'titles': 'e\u0301', 'errorformat': 'plaintext'}),
]

if __name__ == '__main__':
    record_cases(CASES, 'refwiki-input.json')
