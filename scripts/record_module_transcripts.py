#!/usr/bin/env python3
"""Records MediaWiki 1.39's answers for the modules upload tools call around uploads
(list=users, list=mystashedfiles, action=checktoken, meta=authmanagerinfo, meta=filerepoinfo)
into tests/fixtures/refwiki-modules.json; tests/validation.rs replays them against mwupload.

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_module_transcripts.py
"""
from record_validation_transcripts import record_cases

ALL_USER_PROPS = 'blockinfo|cancreate|centralids|editcount|emailable|gender|groupmemberships|groups|implicitgroups|registration|rights'


def q(name, who, **params):
    return (name, who, 'GET', {'action': 'query', **params})


CASES = [
    q('users-names', 'anon', list='users', ususers='Admin|Nobody_here|Bad<name|127.0.0.1|admin|User:admin|A/b|Talk:X'),
    q('users-all-props', 'anon', list='users', ususers='Admin|Nobody here', usprop=ALL_USER_PROPS),
    q('users-all-props-fv1', 'anon', list='users', ususers='Admin|Nobody here', usprop=ALL_USER_PROPS, formatversion='1'),
    q('users-ids', 'anon', list='users', ususerids='1|999', usprop='groups|editcount'),
    q('users-ids-fv1', 'anon', list='users', ususerids='1|999', formatversion='1'),
    q('users-both', 'anon', list='users', ususers='Admin', ususerids='1'),
    q('users-bad-id', 'anon', list='users', ususerids='1|abc'),
    q('users-none', 'anon', list='users'),
    q('users-bad-prop', 'anon', list='users', ususers='Admin', usprop='groups|bogus'),
    q('users-attachedwiki', 'anon', list='users', ususers='Admin', usprop='centralids', usattachedwiki='otherwiki'),
    q('users-with-userinfo', 'bot', list='users', meta='userinfo', ususers='Admin', usprop='implicitgroups'),
    q('mystashedfiles-anon', 'anon', list='mystashedfiles'),
    q('mystashedfiles-bad-continue', 'bot', list='mystashedfiles', msfcontinue='x1'),
    q('mystashedfiles-bad-prop', 'bot', list='mystashedfiles', msfprop='size|bogus', msflimit='1'),
    ('checktoken-anon-valid', 'anon', 'GET', {'action': 'checktoken', 'type': 'csrf', 'token': '+\\'}),
    ('checktoken-anon-unencoded', 'anon', 'GET', {'action': 'checktoken', 'type': 'csrf', 'token': ' \\'}),
    ('checktoken-invalid', 'bot', 'GET', {'action': 'checktoken', 'type': 'csrf', 'token': 'abc'}),
    ('checktoken-bot-valid', 'bot', 'POST', {'action': 'checktoken', 'type': 'csrf', 'token': 'CSRF'}),
    ('checktoken-bot-maxage', 'bot', 'POST', {'action': 'checktoken', 'type': 'csrf', 'token': 'CSRF', 'maxtokenage': '-100'}),
    ('checktoken-wrong-type', 'bot', 'POST', {'action': 'checktoken', 'type': 'watch', 'token': 'CSRF'}),
    ('checktoken-forged', 'bot', 'GET', {'action': 'checktoken', 'type': 'csrf', 'token': '0' * 32 + '5f000000+\\'}),
    ('checktoken-bad-type', 'anon', 'GET', {'action': 'checktoken', 'type': 'bogus', 'token': 'x'}),
    ('checktoken-no-token', 'anon', 'GET', {'action': 'checktoken', 'type': 'csrf'}),
    ('checktoken-no-type', 'anon', 'GET', {'action': 'checktoken', 'token': 'x'}),
    q('authmanagerinfo-plain', 'anon', meta='authmanagerinfo'),
    q('authmanagerinfo-login', 'anon', meta='authmanagerinfo', amirequestsfor='login'),
    q('authmanagerinfo-login-merged', 'anon', meta='authmanagerinfo', amirequestsfor='login', amimergerequestfields='1'),
    q('authmanagerinfo-login-fv1', 'anon', meta='authmanagerinfo', amirequestsfor='login', formatversion='1'),
    q('authmanagerinfo-security-anon', 'anon', meta='authmanagerinfo', amisecuritysensitiveoperation='foo'),
    q('authmanagerinfo-security-bot', 'bot', meta='authmanagerinfo', amisecuritysensitiveoperation='foo',
      amirequestsfor='login-continue'),
    q('authmanagerinfo-bad-requestsfor', 'anon', meta='authmanagerinfo', amirequestsfor='upload'),
    q('filerepoinfo', 'anon', meta='filerepoinfo'),
    q('filerepoinfo-fv1', 'anon', meta='filerepoinfo', formatversion='1'),
    q('filerepoinfo-some', 'anon', meta='filerepoinfo', friprop='name|url|local'),
]

if __name__ == '__main__':
    record_cases(CASES, 'refwiki-modules.json')
