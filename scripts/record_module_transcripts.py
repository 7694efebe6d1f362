#!/usr/bin/env python3
"""Records MediaWiki 1.39's answers for the modules upload tools call around uploads
(list=users, list=mystashedfiles, action=checktoken, meta=authmanagerinfo, meta=filerepoinfo,
file uses: list=imageusage, prop=fileusage, prop=images and their generators over pages
the recording creates; action=purge over those pages; meta=allmessages for the messages client
libraries ask for; run it against a wiki that does not have those pages yet)
into tests/fixtures/refwiki-modules.json; tests/validation.rs replays them against mwupload.

    set -a; . /tmp/refwiki/credentials.env; set +a
    python3 scripts/record_module_transcripts.py
"""
import os

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

# action=purge over the pages above (page ids differ between wikis: only missing ids are sent).
PURGE_TITLES = 'Fl page 1|Fl_page_2|Nope|Special:Upload|Special:Nope|Bad<|File:Fl-a.png|Media:Fl-a.png|Talk:|Fl page 1'


def purge(name, who='anon', method='POST', **params):
    return (name, who, method, {'action': 'purge', **params})


CASES += [
    purge('purge-get', method='GET', titles='Fl page 1'),
    purge('purge-titles', titles=PURGE_TITLES),
    purge('purge-titles-fv1', titles=PURGE_TITLES, formatversion='1'),
    purge('purge-bot', 'bot', titles='Fl page 1|Talk:Fl page 3'),
    purge('purge-nothing'),
    purge('purge-missing-ids', pageids='999999|999998'),
    purge('purge-missing-revids-fv1', revids='999999', formatversion='1'),
    purge('purge-titles-and-pageids', titles='Fl page 1', pageids='999999'),
    purge('purge-pageids-and-revids', pageids='999999', revids='999999'),
    purge('purge-bad-pageid', pageids='1|abc'),
    purge('purge-forcelinkupdate', titles='Fl page 2', forcelinkupdate='1'),
    purge('purge-forcerecursivelinkupdate-fv1', titles='Fl page 2', forcerecursivelinkupdate='1', formatversion='1'),
    purge('purge-generator', generator='imageusage', giutitle='File:Fl-a.png', giulimit='1'),
    purge('purge-generator-max', generator='images', titles='Fl page 1', gimlimit='max'),
    purge('purge-generator-titles-ignored', generator='imageusage', giutitle='File:Fl-a.png', titles='Nope'),
    purge('purge-generator-unknown', generator='bogus'),
    purge('purge-generator-not-generator', generator='tokens'),
    purge('purge-bad-continue', titles='Fl page 1', **{'continue': 'bogus'}),
    purge('purge-unknown-param', titles='Fl page 1', indexpageids='1'),
    purge('purge-special-known', titles='Special:UploadStash|Special:ListFiles'),
    q('generator-unknown', 'anon', generator='bogus'),
    q('generator-not-generator', 'anon', generator='tokens', titles='X'),
]

# meta=allmessages: what pywikibot (months, list_to_text separators, disambiguationspage) and
# mwn (months and days, amlang=content) ask for, and the parameters that shape the answer.
MONTHS = 'january|february|march|april|may_long|june|july|august|september|october|november|december'
SHORT = 'jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec'
DAYS = 'sunday|monday|tuesday|wednesday|thursday|friday|saturday|sun|mon|tue|wed|thu|fri|sat'
CASES += [
    q('allmessages-pywikibot-months', 'anon', meta='allmessages', ammessages=MONTHS + '|' + SHORT, amlang='en'),
    q('allmessages-pywikibot-separators', 'anon', meta='allmessages', ammessages='and|comma-separator|word-separator',
      amlang='en'),
    q('allmessages-pywikibot-disambiguation', 'anon', meta='allmessages', ammessages='disambiguationspage', amlang='en'),
    q('allmessages-mwn-dates', 'anon', meta='allmessages', ammessages=MONTHS + '|' + SHORT + '|' + DAYS, amlang='content'),
    q('allmessages-fv1', 'anon', meta='allmessages', ammessages='january|nope|Mainpage|Main_page', formatversion='1'),
    q('allmessages-missing-and-case', 'anon', meta='allmessages', ammessages='Nope_nope|Mainpage|mainpage-description|january-gen'),
    q('allmessages-args', 'anon', meta='allmessages', ammessages='parentheses|brackets|percent|january', amargs='x|y'),
    q('allmessages-args-default', 'anon', meta='allmessages', ammessages='parentheses|january', amargs='x', amprop='default'),
    q('allmessages-default-no-args', 'anon', meta='allmessages', ammessages='parentheses|nope', amprop='default'),
    q('allmessages-parser', 'anon', meta='allmessages', ammessages='parentheses|and', amenableparser='1', amargs='z'),
    q('allmessages-parser-bad-title', 'anon', meta='allmessages', ammessages='and', amenableparser='1', amtitle='Bad<'),
    q('allmessages-nocontent', 'anon', meta='allmessages', ammessages='jan|feb|mar|apr|zzz', amfrom='feb', amto='mar',
      amnocontent='1'),
    q('allmessages-prefix-filter', 'anon', meta='allmessages', ammessages='feb|jan|january|june|july|may|jun', amprefix='ju',
      amfilter='n'),
    q('allmessages-customised-modified', 'anon', meta='allmessages', ammessages='january', amcustomised='modified'),
    q('allmessages-customised-unmodified', 'anon', meta='allmessages', ammessages='january|nope', amcustomised='unmodified'),
    q('allmessages-bad-lang', 'anon', meta='allmessages', ammessages='january', amlang='x/y'),
    q('allmessages-bad-customised', 'anon', meta='allmessages', ammessages='january', amcustomised='bogus'),
    q('allmessages-includelocal', 'anon', meta='allmessages', ammessages='january', amincludelocal='1'),
]

# The newusers log: an account made by the operator (createAndPromote.php here, `mwupload user
# create` in the replay) is logged as newusers/autocreate by the account itself.
NEW_USER = 'Module-newuser'
CASES += [
    q('logevents-newusers', 'anon', list='logevents', letype='newusers', leuser=NEW_USER),
    q('logevents-newusers-fv1', 'anon', list='logevents', leaction='newusers/autocreate', leuser=NEW_USER,
      leprop='ids|title|type|user|userid|timestamp|comment|details', formatversion='1'),
]


def create_account(name):
    """Creates `name` on the reference wiki as its operator would (maintenance script)."""
    import subprocess
    refwiki = os.environ.get('REFWIKI_DIR', '/tmp/refwiki')
    subprocess.run(['runuser', '-u', 'www-data', '--', 'env', f'MW_CONFIG_FILE={refwiki}/LocalSettings.php', 'php',
                    '/usr/share/mediawiki/maintenance/createAndPromote.php', name, 'Module-newuser-password-1'],
                   check=True)

if __name__ == '__main__':
    create_account(NEW_USER)
    record_cases(CASES, 'refwiki-modules.json')
