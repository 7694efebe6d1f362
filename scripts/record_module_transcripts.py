#!/usr/bin/env python3
"""Records MediaWiki 1.39's answers for the modules upload tools call around uploads
(list=users, list=mystashedfiles, action=checktoken, meta=authmanagerinfo, meta=filerepoinfo,
and file uses: list=imageusage, prop=fileusage, prop=images and their generators over pages
the recording creates; run it against a wiki that does not have those pages yet)
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

# File uses: three pages that use files (which need not exist), then every way of reading them.
PAGE1 = ('[[File:Fl-a.png]] [[Image:Fl-b.png|thumb|x]] [[Media:Fl-a.png]] [[:File:Fl-c.png]] [[file:fl-f.png]]\n'
         '<gallery>\nFl-d.png\nFile:Fl-e.png|cap\n</gallery>\n<nowiki>[[File:Fl-n.png]]</nowiki>')
for title, text in (('Fl page 1', PAGE1), ('Fl page 2', '[[File:Fl-a.png|left]]'), ('Talk:Fl page 3', '[[File:Fl-a.png]]')):
    CASES.append(('edit-' + title, 'bot', 'POST', {'action': 'edit', 'title': title, 'text': text, 'token': 'CSRF'}))
CASES += [
    q('imageusage', 'anon', list='imageusage', iutitle='File:Fl-a.png'),
    q('imageusage-fv1', 'anon', list='imageusage', iutitle='File:Fl-a.png', formatversion='1'),
    q('imageusage-limit', 'anon', list='imageusage', iutitle='File:Fl-a.png', iulimit='1'),
    q('imageusage-continue', 'anon', list='imageusage', iutitle='File:Fl-a.png', iulimit='1', iucontinue='0|999999',
      **{'continue': '-||'}),
    q('imageusage-namespace-desc', 'anon', list='imageusage', iutitle='File:Fl-a.png', iunamespace='1', iudir='descending'),
    q('imageusage-not-file', 'anon', list='imageusage', iutitle='Fl-a.png'),
    q('imageusage-no-title', 'anon', list='imageusage'),
    q('imageusage-both', 'anon', list='imageusage', iutitle='File:Fl-a.png', iupageid='1'),
    q('imageusage-bad-continue', 'anon', list='imageusage', iutitle='File:Fl-a.png', iucontinue='x'),
    q('imageusage-unused', 'anon', list='imageusage', iutitle='File:Fl-c.png'),
    q('imageusage-redirects', 'anon', list='imageusage', iutitle='File:Fl-a.png', iufilterredir='redirects'),
    q('generator-imageusage', 'anon', generator='imageusage', giutitle='File:Fl-a.png'),
    q('images', 'anon', prop='images', titles='Fl page 1|Fl page 2|Fl page none'),
    q('images-fv1', 'anon', prop='images', titles='Fl page 1|Fl page 2', formatversion='1'),
    q('images-limit', 'anon', prop='images', titles='Fl page 1|Fl page 2', imlimit='2'),
    q('images-only', 'anon', prop='images', titles='Fl page 1', imimages='File:Fl-b.png|File:Fl-zz.png'),
    q('images-desc', 'anon', prop='images', titles='Fl page 1', imdir='descending', imlimit='2'),
    q('generator-images', 'anon', generator='images', titles='Fl page 1'),
    q('fileusage', 'anon', prop='fileusage', titles='File:Fl-a.png|File:Fl-b.png|File:Fl-c.png'),
    q('fileusage-fv1', 'anon', prop='fileusage', titles='File:Fl-a.png|File:Fl-b.png', formatversion='1'),
    q('fileusage-limit', 'anon', prop='fileusage', titles='File:Fl-a.png|File:Fl-b.png', fulimit='1'),
    q('fileusage-props-ns', 'anon', prop='fileusage', titles='File:Fl-a.png', fuprop='title', funamespace='1'),
    q('fileusage-show-redirect', 'anon', prop='fileusage', titles='File:Fl-a.png', fushow='redirect'),
    q('generator-fileusage', 'anon', generator='fileusage', titles='File:Fl-a.png'),
]

if __name__ == '__main__':
    record_cases(CASES, 'refwiki-modules.json')
