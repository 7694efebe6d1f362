#!/usr/bin/env python3
"""Black-box upload test driving the real, unmodified pywikibot 11.9.0 (PyPI).

Client: pywikibot==11.9.0.
Last confirmed against the reference MediaWiki: 2026-11-29, MediaWiki 1.39.17 (shared/reference-mediawiki/setup.sh): all checks passed (tests/clients/run.sh: 30 passed, 0 failed).

pywikibot is configured entirely from this script, without prompts: a
temporary PYWIKIBOT_DIR gets a generated user-config.py (an AutoFamily built
from API_URL) and a user-password.py (mode 0600).  The bot-password login is
done with `('Admin', BotPassword('bot', ...))` (pywikibot sends
`action=login`); the main-account login runs in a child process of this
script with its own PYWIKIBOT_DIR and `('Admin', '<password>')` (pywikibot
then sends `action=clientlogin`).

Run (pywikibot must be importable, e.g. from target/clients-venv):

    API_URL=http://127.0.0.1:8080/w/api.php BOT_USER='Admin@bot' BOT_PASS=... \
    ADMIN_USER=Admin ADMIN_PASS=... python pywikibot_upload.py

Environment:
    API_URL, BOT_USER, BOT_PASS      (required) bot password "User@suffix"
    ADMIN_USER, ADMIN_PASS           main account (the clientlogin check is
                                     skipped when they are unset)
    CHUNK_SIZE    chunk size for the chunked uploads (default 65536)
    SKIP_URL=1    skip the upload-by-URL test (counted as skipped)
    POLL_TIMEOUT  seconds allowed for one upload (default 300); pywikibot
                  polls `checkstatus` in a tight loop with no timeout of its
                  own, so a watchdog on the HTTP session aborts it
    TRACE=1       print every HTTP exchange (otherwise only the last few on
                  a failure)

Prints one PASS/FAIL line per check and a final "N passed, M failed" line;
exit status is 0 only if nothing failed.
"""
import atexit
import collections
import hashlib
import http.server
import json
import os
import random
import shutil
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import zlib

API_URL = os.environ.get('API_URL')
BOT_USER = os.environ.get('BOT_USER')
BOT_PASS = os.environ.get('BOT_PASS')
ADMIN_USER = os.environ.get('ADMIN_USER')
ADMIN_PASS = os.environ.get('ADMIN_PASS')
CHUNK_SIZE = int(os.environ.get('CHUNK_SIZE', str(64 * 1024)))
SKIP_URL = os.environ.get('SKIP_URL') == '1'
POLL_TIMEOUT = float(os.environ.get('POLL_TIMEOUT', '300'))
TRACE = os.environ.get('TRACE') == '1'
CHILD = len(sys.argv) > 1 and sys.argv[1] == '--clientlogin-child'
FAMILY = 'mwup'

if not (API_URL and BOT_USER and BOT_PASS):
    sys.exit('API_URL, BOT_USER and BOT_PASS must be set')
if '@' not in BOT_USER:
    sys.exit('BOT_USER must be a bot-password login "User@suffix"')
MAIN_USER, BOT_SUFFIX = BOT_USER.split('@', 1)


# --------------------------------------------- pywikibot configuration (no prompts)
def configure_pywikibot(user, password_line):
    """Write user-config.py + user-password.py into a fresh PYWIKIBOT_DIR."""
    d = tempfile.mkdtemp(prefix='mwupload-pwb-')
    with open(os.path.join(d, 'user-config.py'), 'w', encoding='utf-8') as f:
        f.write(
            f'family_files[{FAMILY!r}] = {API_URL!r}\n'
            f'family = {FAMILY!r}\n'
            f'mylang = {FAMILY!r}\n'
            f'usernames[{FAMILY!r}]["*"] = {user!r}\n'
            "password_file = 'user-password.py'\n"
            'put_throttle = 0\n'
            'minthrottle = 0\n'
            'maxthrottle = 1\n'
            'max_retries = 2\n'
            'retry_wait = 1\n'
            'retry_max = 2\n'
            'socket_timeout = (10, 600)\n'
            # write_maxlag / read_maxlag stay at their defaults: maxlag is sent
        )
    pw = os.path.join(d, 'user-password.py')
    fd = os.open(pw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        f.write(password_line + '\n')
    os.environ['PYWIKIBOT_DIR'] = d
    # registered before pywikibot is imported, so it runs after pywikibot's own
    # atexit handlers (which still write into PYWIKIBOT_DIR)
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    os.environ.pop('PYWIKIBOT_NO_USER_CONFIG', None)
    return d


if CHILD:
    PWB_DIR = configure_pywikibot(
        ADMIN_USER, f'({ADMIN_USER!r}, {ADMIN_PASS!r})')
else:
    PWB_DIR = configure_pywikibot(
        MAIN_USER, f'({MAIN_USER!r}, BotPassword({BOT_SUFFIX!r}, {BOT_PASS!r}))')

import pywikibot  # noqa: E402  (must follow the PYWIKIBOT_DIR set-up)
from pywikibot.comms import http as pwb_http  # noqa: E402
from pywikibot.exceptions import UploadError  # noqa: E402


# ---------------------------------------------------------------- HTTP watchdog/trace
class Deadline(BaseException):
    """Raised from the session hook; a BaseException so pywikibot's retry
    loops (which catch Exception) do not swallow it."""


_trace = collections.deque(maxlen=12)
_watch = {'deadline': None, 'count': 0, 'by_action': collections.Counter()}


def _summarize_body(body):
    if body is None:
        return ''
    if isinstance(body, str):
        body = body.encode('utf-8', 'replace')
    if b'Content-Type: multipart' in body[:400] or body[:2] == b'--' \
            or b'MIME-Version' in body[:200]:
        # multipart: keep the text fields, elide the file/chunk payload
        out = []
        for part in body.split(b'\n--')[:20]:
            head, _, val = part.partition(b'\n\n')
            if b'filename=' in head:
                out.append(b'<file part ' + str(len(val)).encode() + b' bytes>')
            else:
                name = head.split(b'name="')[-1].split(b'"')[0] if b'name="' in head else b'?'
                out.append(name + b'=' + val[:80].strip())
        text = b' '.join(out).decode('utf-8', 'replace')
    else:
        text = body[:600].decode('utf-8', 'replace')
    for secret in (BOT_PASS, ADMIN_PASS):
        if secret:
            text = text.replace(secret, '<redacted>').replace(
                urllib.parse.quote(secret), '<redacted>')
    return text


def _hook(resp, *args, **kwargs):
    req = resp.request
    _watch['count'] += 1
    entry = (f'{req.method} {req.url}\n      body: {_summarize_body(req.body)[:700]}'
             f'\n      -> {resp.status_code} {resp.headers.get("Content-Type", "")}: '
             + (resp.content[:500].decode('utf-8', 'replace')
                if 'json' in resp.headers.get('Content-Type', '')
                else f'<{len(resp.content)} bytes>'))
    _trace.append(entry)
    if TRACE:
        print('  HTTP ' + entry, flush=True)
    dl = _watch['deadline']
    if dl is not None and time.time() > dl:
        _watch['deadline'] = None
        raise Deadline(f'client still running after {POLL_TIMEOUT:.0f}s '
                       f'({_watch["count"]} requests so far)')


pwb_http.session.hooks['response'].append(_hook)


class watchdog:
    def __enter__(self):
        _watch['deadline'] = time.time() + POLL_TIMEOUT
        return self

    def __exit__(self, *exc):
        _watch['deadline'] = None
        return False


# ---------------------------------------------------------------- test files
def _png_chunk(kind, data):
    return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))


def make_png(width, height, rng, cr_at=()):
    """Valid RGB noise PNG; stored zlib blocks so chosen file offsets can be
    forced to b'\\r' (chunk boundaries ending in CR)."""
    row = 1 + 3 * width
    raw = bytearray(rng.randbytes(row * height))
    for y in range(height):
        raw[y * row] = 0
    head = b'\x89PNG\r\n\x1a\n' + _png_chunk(
        b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
    idat_data_start = len(head) + 8
    for off in cr_at:
        z = off - idat_data_start - 2
        blk, pos = divmod(z, 65540)
        if z < 0 or pos < 5:
            continue
        r = blk * 65535 + pos - 5
        if r < len(raw) and r % row != 0:
            raw[r] = 0x0D
    out = bytearray(b'\x78\x01')
    n = len(raw)
    for i in range(0, n, 65535):
        block = raw[i:i + 65535]
        final = 1 if i + 65535 >= n else 0
        out += struct.pack('<BHH', final, len(block), len(block) ^ 0xffff)
        out += block
    out += struct.pack('>I', zlib.adler32(bytes(raw)) & 0xffffffff)
    return head + _png_chunk(b'IDAT', bytes(out)) + _png_chunk(b'IEND', b'')


def sha1(data):
    return hashlib.sha1(data).hexdigest()


# ---------------------------------------------------------------- harness
results = []


def check(name, func, skip_reason=None):
    if skip_reason:
        results.append((name, 'skip'))
        print(f'SKIP {name}: {skip_reason}', flush=True)
        return
    t0 = time.time()
    _trace.clear()
    try:
        func()
    except (Exception, Deadline) as e:  # noqa: BLE001
        results.append((name, 'fail'))
        print(f'FAIL {name}: {type(e).__name__}: {e}', flush=True)
        traceback.print_exc(limit=8)
        print('  last HTTP exchanges:', flush=True)
        for entry in list(_trace)[-6:]:
            print('    ' + entry, flush=True)
    else:
        results.append((name, 'pass'))
        print(f'PASS {name} ({time.time() - t0:.1f}s)', flush=True)


class Mismatch(AssertionError):
    pass


def expect(cond, msg):
    if not cond:
        raise Mismatch(msg)


def serve_bytes(files):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            data = files.get(self.path.lstrip('/'))
            if data is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header('Content-Type', 'image/png')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a):
            pass

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    srv = S(('127.0.0.1', 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def make_site():
    site = pywikibot.Site(FAMILY, FAMILY)
    u = urllib.parse.urlsplit(API_URL)
    expect(site.family.domain == u.netloc and site.protocol() == u.scheme,
           f'family built for {site.family.domain!r}, expected {u.netloc!r}')
    expect(site.apipath() == u.path, f'apipath {site.apipath()!r} != {u.path!r}')
    return site


# ------------------------------------------------------- child: clientlogin
def clientlogin_child():
    """Log in with the main account (pywikibot: action=clientlogin) and upload."""
    rng = random.Random()
    data = make_png(20, 20, rng)
    tmp = tempfile.mkdtemp(prefix='mwupload-pwb-cl-')
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    path = os.path.join(tmp, 'cl.png')
    with open(path, 'wb') as f:
        f.write(data)
    sent = collections.Counter()

    def count(resp, *a, **k):
        body = resp.request.body or b''
        if isinstance(body, str):
            body = body.encode()
        for act in (b'action=clientlogin', b'action=login'):
            if act in body or act in resp.request.url.encode():
                sent[act.decode()] += 1
    pwb_http.session.hooks['response'].append(count)
    try:
        site = make_site()
        with watchdog():
            site.login()
        expect(sent['action=clientlogin'] >= 1,
               f'pywikibot did not use action=clientlogin ({dict(sent)})')
        expect(sent['action=login'] == 0, 'pywikibot used action=login')
        expect(site.logged_in(), 'site.logged_in() is False')
        expect(site.user() == ADMIN_USER, f'site.user() is {site.user()!r}')
        expect(site.has_right('upload'), 'main account lacks the upload right')
        title = f'File:Acc-pwb-{sys.argv[2]}-clientlogin.png'
        fp = pywikibot.FilePage(site, title)
        with watchdog():
            ok = fp.upload(path, summary='pywikibot test: clientlogin session',
                           text='clientlogin upload')
        expect(ok is True, f'upload returned {ok!r}')
        fresh = pywikibot.FilePage(site, title)
        info = fresh.latest_file_info
        expect(info.sha1 == sha1(data), f'sha1 {info.sha1} != {sha1(data)}')
        expect(info.user == ADMIN_USER, f'uploader {info.user!r}')
    except (Exception, Deadline) as e:  # noqa: BLE001
        traceback.print_exc(limit=8)
        print('  last HTTP exchanges:')
        for entry in list(_trace)[-6:]:
            print('    ' + entry)
        print('CHILD-RESULT ' + json.dumps({'ok': False,
                                           'error': f'{type(e).__name__}: {e}'}))
        return 1
    print('CHILD-RESULT ' + json.dumps({'ok': True}))
    return 0


# ---------------------------------------------------------------- main
def main():
    run = '%08x' % random.getrandbits(32)
    rng = random.Random()
    tmp = tempfile.mkdtemp(prefix='mwupload-pwb-files-')
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    files = {}

    def write(key, data):
        path = os.path.join(tmp, key + '.png')
        with open(path, 'wb') as f:
            f.write(data)
        files[key] = (path, data)
        return path

    # small files, all distinct (no accidental 'duplicate' warnings)
    for k in ('a', 'b', 'c', 'd', 'e', 'u', 'n'):
        write(k, make_png(24, 24, rng))
    # ~500 KB for the chunked uploads; force CR at the end of the first
    # chunk (server must answer offset CHUNK_SIZE-1, pywikibot resends)
    big_side = 410
    write('big', make_png(big_side, big_side, rng, cr_at=[CHUNK_SIZE - 1]))
    write('big2', make_png(big_side, big_side, rng, cr_at=[2 * CHUNK_SIZE - 1]))
    write('big3', make_png(big_side, big_side, rng))
    print(f'run id {run}; pywikibot {pywikibot.__version__}; chunked files '
          f'{len(files["big"][1])} bytes, chunk size {CHUNK_SIZE}; '
          f'PYWIKIBOT_DIR {PWB_DIR}', flush=True)

    state = {}

    def title(suffix):
        return f'File:Acc-pwb-{run}-{suffix}.png'

    def imageinfo_history(t):
        """Raw API look-up of all versions (sha1), newest first."""
        req = state['site'].simple_request(
            action='query', prop='imageinfo', titles=t,
            iiprop='sha1|timestamp|size', iilimit='50')
        pages = req.submit()['query']['pages']
        page = next(iter(pages.values()))
        return page.get('imageinfo', [])

    def verify(t, data, versions=None):
        site = state['site']
        fp = pywikibot.FilePage(site, t)  # fresh object -> loadimageinfo
        expect(fp.exists(), f'{t}: page does not exist')
        info = fp.latest_file_info
        expect(info.sha1 == sha1(data),
               f'{t}: latest_file_info.sha1 {info.sha1} != local {sha1(data)}')
        expect(int(info.size) == len(data),
               f'{t}: latest_file_info.size {info.size} != local {len(data)}')
        # pywikibot's own download (it re-checks the sha1 itself)
        out = os.path.join(tmp, 'dl-' + t.split(':', 1)[1])
        expect(fp.download(out) is True, f'{t}: FilePage.download() returned False')
        with open(out, 'rb') as f:
            got = f.read()
        expect(got == data, f'{t}: downloaded {len(got)} bytes, sha1 {sha1(got)}; '
               f'expected {len(data)} bytes, sha1 {sha1(data)}')
        # and a plain GET of the file URL with pywikibot's HTTP session
        url = fp.get_file_url()
        expect(url.startswith('http'), f'{t}: file URL not absolute: {url!r}')
        r = pwb_http.fetch(url)
        expect(r.status_code == 200 and r.content == data,
               f'{t}: GET {url} -> {r.status_code}, {len(r.content)} bytes')
        if versions is not None:
            hist = imageinfo_history(t)
            expect(len(hist) == versions,
                   f'{t}: expected {versions} file versions, got {len(hist)}')

    # ---------------------------------------------------------- checks
    def new_version_second():
        # MediaWiki names an archived version by its upload second, so two new versions of
        # one file in the same second fail there (backend-fail-alreadyexists); space them.
        time.sleep(1.1)

    def t_site_paraminfo():
        site = make_site()
        state['site'] = site
        # the paraminfo bootstrap (modules=main|paraminfo|query, then query+tokens)
        pi = site._paraminfo
        pi.fetch(['upload', 'query+imageinfo'])
        expect('upload' in pi.action_modules, 'upload not in paraminfo action modules')
        expect('imageinfo' in pi.submodules('query') or 'imageinfo' in pi.query_modules,
               'imageinfo not among the query submodules')
        expect('tokens' in pi.query_modules, 'tokens not among the query modules')
        expect(pi['query+imageinfo']['prefix'] == 'ii',
               f'query+imageinfo prefix {pi["query+imageinfo"].get("prefix")!r}')
        lim = pi.parameter('query+imageinfo', 'limit')
        expect(lim and 'highmax' in lim, f'imageinfo limit param {lim!r}')
        tok = pi.parameter('upload', 'token')
        expect(tok and tok.get('tokentype') == 'csrf', f'upload token param {tok!r}')
        tt = pi.parameter('query+tokens', 'type')
        expect(tt and 'csrf' in tt['type'] and 'login' in tt['type'],
               f'query+tokens type {tt!r}')

    def t_login():
        site = state['site']
        with watchdog():
            site.login()
        expect(site.logged_in(), 'site.logged_in() is False')
        expect(site.user() == MAIN_USER, f'site.user() is {site.user()!r}')
        expect(site.has_right('upload'), 'bot lacks the upload right')
        expect(site.has_right('edit'), 'bot lacks the edit right')
        expect(not site.is_uploaddisabled(), 'site.is_uploaddisabled() is True')
        v = site.mw_version
        expect(v >= '1.31', f'mw_version {v}')
        expect(site.tokens['csrf'] and site.tokens['csrf'] != '+\\',
               f'csrf token {site.tokens["csrf"]!r}')
        state['login'] = True

    def t_clientlogin():
        r = subprocess.run(
            [sys.executable, os.path.abspath(__file__), '--clientlogin-child', run],
            capture_output=True, text=True, timeout=POLL_TIMEOUT + 60,
            env=os.environ.copy())
        lines = [ln for ln in r.stdout.splitlines() if ln.startswith('CHILD-RESULT ')]
        if not lines:
            raise Mismatch(f'child exit {r.returncode}, no result; stderr tail:\n'
                           + r.stderr[-3000:] + r.stdout[-3000:])
        res = json.loads(lines[-1][len('CHILD-RESULT '):])
        if not res['ok']:
            raise Mismatch(res['error'] + '\n' + r.stdout[-4000:]
                           + r.stderr[-2000:])

    def t_direct():
        path, data = files['a']
        fp = pywikibot.FilePage(state['site'], title('direct'))
        with watchdog():
            ok = fp.upload(path, summary='pywikibot test: direct upload',
                           text='pywikibot direct upload test')
        expect(ok is True, f'upload returned {ok!r}')
        verify(title('direct'), data, versions=1)
        state['direct'] = True

    def t_reupload_warning():
        expect(state.get('direct'), 'depends on direct upload')
        path, data = files['a']
        fp = pywikibot.FilePage(state['site'], title('direct'))
        try:
            with watchdog():
                fp.upload(path, summary='pywikibot test: same bytes again',
                          text='x')
        except UploadError as e:
            # first warning key on the reference: exists (then nochange)
            expect(e.code == 'exists', f'UploadError code {e.code!r} '
                   f'(expected exists): {e}')
        else:
            raise Mismatch('re-upload of identical bytes did not raise UploadError')
        verify(title('direct'), data, versions=1)

    def t_ignore_true():
        new_version_second()
        expect(state.get('direct'), 'depends on direct upload')
        path, data = files['b']
        fp = pywikibot.FilePage(state['site'], title('direct'))
        with watchdog():
            ok = fp.upload(path, summary='pywikibot test: new version',
                           text='v2', ignore_warnings=True)
        expect(ok is True, f'upload returned {ok!r}')
        verify(title('direct'), data, versions=2)
        state['v2'] = True

    def t_ignore_callable():
        new_version_second()
        expect(state.get('v2'), 'depends on the new version')
        path, data = files['c']
        seen = []

        def decide(warnings):
            seen.append(sorted(w.code for w in warnings))
            return all(w.code == 'exists' for w in warnings)

        fp = pywikibot.FilePage(state['site'], title('direct'))
        with watchdog():
            ok = fp.upload(path, summary='pywikibot test: callable ignores exists',
                           text='v3', ignore_warnings=decide)
        expect(seen == [['exists']], f'callable saw warnings {seen!r}')
        expect(ok is True, f'upload returned {ok!r}')
        verify(title('direct'), data, versions=3)

    def t_ignore_list():
        new_version_second()
        expect(state.get('v2'), 'depends on the new version')
        # a list without 'exists' -> upload() returns False, nothing published
        path_d, data_d = files['d']
        fp = pywikibot.FilePage(state['site'], title('direct'))
        with watchdog():
            ok = fp.upload(path_d, summary='pywikibot test: list refuses',
                           text='no', ignore_warnings=['duplicate'])
        expect(ok is False, f'upload with ignore_warnings=[duplicate] returned {ok!r}')
        hist = imageinfo_history(title('direct'))
        expect(sha1(data_d) not in [h.get('sha1') for h in hist],
               'refused upload was published anyway')
        # a list with 'exists' -> filekey reuse, commit
        with watchdog():
            ok = fp.upload(path_d, summary='pywikibot test: list ignores exists',
                           text='v', ignore_warnings=['exists'])
        expect(ok is True, f'upload with ignore_warnings=[exists] returned {ok!r}')
        verify(title('direct'), data_d, versions=len(hist) + 1)

    def t_nonascii_notext():
        _, data = files['n']
        path = files['n'][0]
        t = f'File:Acc-pwb-{run}-Ünïcødé Grüße €.png'
        summary = 'pywikibot test: non-ASCII — Prüfung ✓'
        fp = pywikibot.FilePage(state['site'], t)
        with watchdog():
            ok = fp.upload(path, summary=summary)  # no text: page text query
        expect(ok is True, f'upload returned {ok!r}')
        verify(t, data, versions=1)
        fresh = pywikibot.FilePage(state['site'], t)
        expect(fresh.text == summary, f'page text {fresh.text!r} != {summary!r}')

    def t_chunked(key, suffix, asynchronous):
        def run_it():
            path, data = files[key]
            fp = pywikibot.FilePage(state['site'], title(suffix))
            with watchdog():
                ok = fp.upload(path, summary=f'pywikibot test: chunked {suffix}',
                               text=f'chunked {suffix}', chunk_size=CHUNK_SIZE,
                               asynchronous=asynchronous)
            expect(ok is True, f'upload returned {ok!r}')
            verify(title(suffix), data, versions=1)
            state[suffix] = True
        return run_it

    def t_chunked_callable_restart():
        new_version_second()
        expect(state.get('chunked-sync'), 'depends on the chunked sync upload')
        path, data = files['big3']
        seen = []

        def decide(warnings):
            seen.append(sorted(w.code for w in warnings))
            return {w.code for w in warnings} <= {'exists'}

        fp = pywikibot.FilePage(state['site'], title('chunked-sync'))
        with watchdog():
            ok = fp.upload(path, summary='pywikibot test: chunked new version',
                           text='chunked v2', chunk_size=CHUNK_SIZE,
                           ignore_warnings=decide)
        expect(seen == [['exists']], f'callable saw warnings {seen!r}')
        expect(ok is True, f'upload returned {ok!r}')
        verify(title('chunked-sync'), data, versions=2)

    def t_url():
        site = state['site']
        expect(site.has_right('upload_by_url'), 'bot lacks upload_by_url')
        _, data = files['u']
        srv = serve_bytes({'u.png': data})
        try:
            url = f'http://127.0.0.1:{srv.server_address[1]}/u.png'
            fp = pywikibot.FilePage(site, title('url'))
            with watchdog():
                ok = fp.upload(url, summary='pywikibot test: by URL', text='url')
        finally:
            srv.shutdown()
        expect(ok is True, f'upload returned {ok!r}')
        verify(title('url'), data, versions=1)

    def t_save_description():
        # Page.save() edits the description page: pywikibot first checks {{bots}} through
        # prop=templates, then sends action=edit with basetimestamp/starttimestamp; a fresh
        # object reads the new text and summary back.
        site = state['site']
        fp = pywikibot.FilePage(site, title('direct'))
        new_text = f'{{{{Information|description=edited by pywikibot {run}}}}}'
        fp.text = new_text
        with watchdog():
            fp.save(summary='pywikibot test: edit description')
        again = pywikibot.FilePage(site, title('direct'))
        expect(again.text == new_text, f'description page text {again.text!r}')
        expect(again.latest_revision.comment == 'pywikibot test: edit description',
               f'summary {again.latest_revision.comment!r}')
        used = [t.title() for t in again.templates()]
        expect(used == ['Template:Information'], f'templates {used!r}')

    def t_allimages():
        # site.allimages() is generator=allimages (gaiprefix, gailimit) with prop=info|imageinfo.
        site = state['site']
        prefix = f'Acc-pwb-{run}-'
        got = [fp.title(with_ns=False) for fp in site.allimages(prefix=prefix, total=100)]
        expect(got, 'allimages returned nothing')
        expect(got == sorted(got), f'allimages not in name order: {got}')
        expect(all(t.startswith(prefix) for t in got), f'allimages outside the prefix: {got}')
        expect(title('direct').split(':', 1)[1] in got, f'direct upload missing from {got}')

    def t_thumbnail():
        # FilePage.get_file_url(url_width=...) is prop=imageinfo&iiurlwidth=...: pywikibot returns
        # the thumburl, which must answer with a PNG of that width (rendered on request).
        expect(state.get('direct'), 'depends on direct upload')
        fp = pywikibot.FilePage(state['site'], title('direct'))
        url = fp.get_file_url(url_width=12)
        name = title('direct').split(':', 1)[1].replace(' ', '_')
        expect('/thumb/' in url and url.endswith('/12px-' + urllib.parse.quote(name)),
               f'thumburl {url!r}')
        info = fp.latest_file_info
        expect((int(info.thumbwidth), int(info.thumbheight)) == (12, 12),
               f'thumbwidth/thumbheight {info.thumbwidth}x{info.thumbheight}')
        r = pwb_http.fetch(url)
        expect(r.status_code == 200, f'GET {url} -> {r.status_code}')
        expect(r.headers.get('content-type') == 'image/png', f'content-type {r.headers.get("content-type")}')
        expect(r.content[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG')
        w, h = struct.unpack('>II', r.content[16:24])
        expect((w, h) == (12, 12), f'thumbnail is {w}x{h}')

    check('site from API_URL (AutoFamily) + paraminfo bootstrap', t_site_paraminfo)
    if 'site' in state:
        check('login with bot password (action=login)', t_login)
    check('login with main account (action=clientlogin) + upload', t_clientlogin,
          skip_reason=None if (ADMIN_USER and ADMIN_PASS)
          else 'ADMIN_USER/ADMIN_PASS not set')
    if state.get('login'):
        check('direct upload: latest_file_info.sha1 + download', t_direct)
        check('re-upload identical bytes -> UploadError(exists)', t_reupload_warning)
        check('ignore_warnings=True -> new version', t_ignore_true)
        check('ignore_warnings=callable on exists -> stash + commit by filekey',
              t_ignore_callable)
        check('ignore_warnings=list: [duplicate] refuses, [exists] commits',
              t_ignore_list)
        check('non-ASCII title/summary, no text (page text = summary)',
              t_nonascii_notext)
        check(f'chunked upload, chunk_size={CHUNK_SIZE}, sync',
              t_chunked('big', 'chunked-sync', False))
        check(f'chunked upload, chunk_size={CHUNK_SIZE}, asynchronous=True',
              t_chunked('big2', 'chunked-async', True))
        check('chunked re-upload, callable on first-chunk exists -> restart',
              t_chunked_callable_restart)
        check('upload by URL', t_url, skip_reason='SKIP_URL=1' if SKIP_URL else None)
        check('site.allimages(prefix) (generator=allimages)', t_allimages)
        check('FilePage.save() edits the description page', t_save_description)
        check('FilePage.get_file_url(url_width=12) -> working thumburl', t_thumbnail)

    passed = sum(1 for _, r in results if r == 'pass')
    failed = sum(1 for _, r in results if r == 'fail')
    skipped = sum(1 for _, r in results if r == 'skip')
    line = f'{passed} passed, {failed} failed'
    if skipped:
        line += f', {skipped} skipped'
    print(line, flush=True)
    return 1 if failed else 0


if __name__ == '__main__':
    if CHILD:
        code = clientlogin_child()
    else:
        code = main()
    sys.exit(code)
