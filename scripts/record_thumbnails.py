#!/usr/bin/env python3
"""Records how the reference MediaWiki 1.39 answers thumbnail requests, for crates/thumb's tests.

    python3 -m venv /tmp/thumbvenv && /tmp/thumbvenv/bin/pip install requests Pillow
    set -a; . /tmp/refwiki/credentials.env; set +a
    /tmp/thumbvenv/bin/python scripts/record_thumbnails.py

What it does:
1. generates a small set of test images (PNG RGB/RGBA/tiny/tall/odd name, JPEG plain and with
   EXIF Orientation tags, GIF still/animated/too big to animate, WebP, TIFF, SVG with shapes and
   with text, a PNG whose header claims 20000x20000) into crates/thumb/tests/fixtures/src/;
2. uploads them under fixed names (Mwthumb-*.ext, ignorewarnings, so re-running adds versions),
   and a second version of one PNG, so that an archived version exists;
3. asks prop=imageinfo for every file and a list of iiurlwidth/iiurlheight/iiurlparam
   combinations and records the answer (thumburl, thumbwidth, thumbheight, responsiveUrls,
   thumbmime, thumberror, warnings, or the API error) into
   crates/thumb/tests/fixtures/refwiki-thumbs.json, with the host stripped from URLs and the
   archive timestamp replaced by TS;
4. asks thumb.php for a few cases (status code and the error text);
5. downloads a few rendered thumbnails into crates/thumb/tests/fixtures/refwiki/.

The source images are committed, so tests never need Python or the wiki.
"""
import io
import json
import math
import os
import re
import struct
import sys
import zlib

import requests
from PIL import Image, ImageDraw

API = os.environ.get('API_URL', 'http://127.0.0.1:8080/w/api.php')
BASE = re.match(r'^(https?://[^/]+)', API).group(1)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, 'crates/thumb/tests/fixtures')
SRC = os.path.join(FIX, 'src')
REF = os.path.join(FIX, 'refwiki')
PREFIX = 'Mwthumb'

S = requests.Session()


# ---------------------------------------------------------------- test images
def pattern(w, h, x, y):
    """A smooth, photo-like pattern with a few hard edges."""
    r = 255 * x / max(w - 1, 1)
    g = 255 * y / max(h - 1, 1)
    b = 128 + 100 * math.sin(x / 23.0) * math.cos(y / 17.0)
    # a disc and a bar with hard edges
    cx, cy, rad = w * 0.62, h * 0.45, min(w, h) * 0.22
    if (x - cx) ** 2 + (y - cy) ** 2 < rad * rad:
        r, g, b = 240, 200, 40
    if w * 0.15 < x < w * 0.3 and h * 0.2 < y < h * 0.85:
        r, g, b = 30, 60, 160
    return int(r), int(g), int(max(0, min(255, b)))


def rgb_image(w, h):
    im = Image.new('RGB', (w, h))
    im.putdata([pattern(w, h, x, y) for y in range(h) for x in range(w)])
    return im


def rgba_image(w, h):
    im = Image.new('RGBA', (w, h))
    data = []
    for y in range(h):
        for x in range(w):
            r, g, b = pattern(w, h, x, y)
            # alpha: opaque centre fading to transparent at the left and right edges
            a = int(255 * min(1.0, min(x, w - 1 - x) / (w * 0.25)))
            data.append((r, g, b, a))
    im.putdata(data)
    return im


def png_bytes(im, **kw):
    buf = io.BytesIO()
    im.save(buf, 'PNG', **kw)
    return buf.getvalue()


def huge_png_header(width, height):
    """A valid-looking PNG whose IHDR claims width x height but whose data is tiny (a bomb)."""
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b'\x00' * (1 + 3 * 64))
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', idat) + chunk(b'IEND', b'')


def jpeg_bytes(im, orientation=None):
    buf = io.BytesIO()
    kw = {'quality': 92, 'subsampling': 0}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw['exif'] = exif.tobytes()
    im.save(buf, 'JPEG', **kw)
    return buf.getvalue()


def gif_still(w, h):
    buf = io.BytesIO()
    rgb_image(w, h).quantize(colors=64, dither=Image.Dither.NONE).save(buf, 'GIF')
    return buf.getvalue()


def gif_animated(w, h, n=3):
    frames = []
    for i in range(n):
        im = Image.new('RGB', (w, h), (255, 255, 255))
        d = ImageDraw.Draw(im)
        d.rectangle([0, 0, w - 1, h // 3], fill=(200, 30, 30))
        x0 = int(i * (w - w // 3) / max(n - 1, 1))
        d.ellipse([x0, h // 3, x0 + w // 3, h // 3 + w // 3], fill=(20, 120, 220))
        d.rectangle([0, h - h // 5, w - 1, h - 1], fill=(30, 160, 60))
        frames.append(im.quantize(colors=16, dither=Image.Dither.NONE))
    buf = io.BytesIO()
    frames[0].save(buf, 'GIF', save_all=True, append_images=frames[1:], duration=200, loop=0)
    return buf.getvalue()


def gif_big_animated(w, h, n):
    """Width x height x frames above $wgMaxAnimatedGifArea: MediaWiki thumbnails its first frame."""
    frames = []
    for i in range(n):
        im = Image.new('RGB', (w, h), (250, 250, 250))
        d = ImageDraw.Draw(im)
        d.rectangle([0, 0, w - 1, h // 4], fill=(200, 30, 30))
        x0 = int(i * (w - w // 4) / max(n - 1, 1))
        d.ellipse([x0, h // 3, x0 + w // 4, h // 3 + w // 4], fill=(20, 120, 220))
        frames.append(im.quantize(colors=8, dither=Image.Dither.NONE))
    buf = io.BytesIO()
    frames[0].save(buf, 'GIF', save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def webp_bytes(im):
    buf = io.BytesIO()
    im.save(buf, 'WEBP', lossless=True)
    return buf.getvalue()


def tiff_bytes(im):
    buf = io.BytesIO()
    im.save(buf, 'TIFF', compression='tiff_adobe_deflate')
    return buf.getvalue()


SVG = b'''<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">
  <defs>
    <linearGradient id="g" x1="0" y1="0" x2="1" y2="0">
      <stop offset="0" stop-color="#1060c0"/>
      <stop offset="1" stop-color="#f0c020"/>
    </linearGradient>
  </defs>
  <rect x="0" y="0" width="200" height="100" fill="url(#g)"/>
  <circle cx="140" cy="50" r="30" fill="#c02020" stroke="#202020" stroke-width="4"/>
  <path d="M 10 90 L 60 10 L 110 90 Z" fill="#20a040" fill-opacity="0.7"/>
</svg>
'''


SVG_TEXT = b'''<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="120" viewBox="0 0 300 120">
  <rect width="300" height="120" fill="#ffffff"/>
  <text x="10" y="40" font-family="sans-serif" font-size="28" fill="#202080">Thumbnail 123</text>
  <text x="10" y="90" font-family="serif" font-size="28" fill="#802020">MediaWiki text</text>
</svg>
'''


def make_files():
    """(wiki name, fixture file name, bytes). Kept small: the biggest is ~400x300."""
    return [
        (f'{PREFIX}-rgb.png', 'rgb.png', png_bytes(rgb_image(400, 300))),
        (f'{PREFIX}-alpha.png', 'alpha.png', png_bytes(rgba_image(300, 200))),
        (f'{PREFIX}-tiny.png', 'tiny.png', png_bytes(rgb_image(60, 40))),
        (f'{PREFIX}-tall.png', 'tall.png', png_bytes(rgb_image(101, 403))),
        (f'{PREFIX}-photo.jpg', 'photo.jpg', jpeg_bytes(rgb_image(400, 300))),
        (f'{PREFIX}-rotated.jpg', 'rotated.jpg', jpeg_bytes(rgb_image(320, 240), orientation=6)),
        (f'{PREFIX}-upside.jpeg', 'upside.jpeg', jpeg_bytes(rgb_image(240, 160), orientation=3)),
        (f'{PREFIX}-still.gif', 'still.gif', gif_still(300, 200)),
        (f'{PREFIX}-anim.gif', 'anim.gif', gif_animated(150, 90)),
        (f'{PREFIX}-biganim.gif', 'biganim.gif', gif_big_animated(1000, 1000, 13)),
        (f'{PREFIX}-pic.webp', 'pic.webp', webp_bytes(rgb_image(400, 300))),
        (f'{PREFIX}-scan.tif', 'scan.tif', tiff_bytes(rgb_image(300, 200))),
        (f'{PREFIX}-drawing.svg', 'drawing.svg', SVG),
        (f'{PREFIX}-text.svg', 'text.svg', SVG_TEXT),
        (f'{PREFIX}-huge.png', 'huge.png', huge_png_header(20000, 20000)),
        (f"{PREFIX}-it's_(1)_&_co.png", 'odd-name.png', png_bytes(rgb_image(40, 30))),
    ]


# ---------------------------------------------------------------- wiki access
def login():
    lt = S.get(API, params={'action': 'query', 'meta': 'tokens', 'type': 'login', 'format': 'json'}).json()
    lt = lt['query']['tokens']['logintoken']
    r = S.post(API, data={'action': 'login', 'lgname': os.environ['BOT_USER'], 'lgpassword': os.environ['BOT_PASS'],
                          'lgtoken': lt, 'format': 'json'}).json()
    assert r['login']['result'] == 'Success', r
    return S.get(API, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']


def upload(tok, name, data):
    r = S.post(API, data={'action': 'upload', 'filename': name, 'ignorewarnings': '1', 'comment': 'thumbnail test',
                          'text': 'thumbnail test file', 'token': tok, 'format': 'json'},
               files={'file': (name, data)}).json()
    if r.get('error', {}).get('code') == 'fileexists-no-change':
        return r  # re-recording: the same bytes are already the current version
    if r.get('upload', {}).get('result') != 'Success':
        sys.exit(f'upload of {name} failed: {r}')
    return r


def norm_url(u):
    """Host-independent URLs: strip the server part."""
    if isinstance(u, str) and u.startswith(BASE):
        return u[len(BASE):]
    return u


def norm_archive(s, archive):
    """The archive name starts with the upload timestamp: replace it by TS."""
    if archive and isinstance(s, str):
        ts = archive.split('!', 1)[0]
        s = s.replace(ts + '%21', 'TS%21').replace(ts + '!', 'TS!')
    return s


THUMB_KEYS = ['thumburl', 'thumbwidth', 'thumbheight', 'responsiveUrls', 'thumbmime', 'thumberror', 'url',
              'width', 'height', 'mime', 'archivename']


def imageinfo(title, extra, limit=1):
    params = {'action': 'query', 'titles': 'File:' + title, 'prop': 'imageinfo', 'format': 'json',
              'formatversion': '2', 'iilimit': str(limit),
              'iiprop': 'url|size|mime|thumbmime|archivename'}
    params.update({k: str(v) for k, v in extra.items()})
    r = S.get(API, params=params).json()
    out = {}
    if 'error' in r:
        out['error'] = {'code': r['error']['code'], 'info': r['error']['info']}
    if 'warnings' in r:
        out['warnings'] = r['warnings']
    if 'query' in r:
        versions = []
        for ii in r['query']['pages'][0].get('imageinfo', []):
            archive = ii.get('archivename')
            v = {}
            for k in THUMB_KEYS:
                if k in ii:
                    val = ii[k]
                    if k == 'responsiveUrls':
                        val = {d: norm_archive(norm_url(u), archive) for d, u in val.items()}
                    else:
                        val = norm_archive(norm_url(val), archive)
                    v[k] = val
            versions.append(v)
        out['imageinfo'] = versions
    return out


def file_props(title):
    """What MediaWiki knows about the file: the inputs of the thumbnail logic."""
    r = S.get(API, params={'action': 'query', 'titles': 'File:' + title, 'prop': 'imageinfo', 'format': 'json',
                           'formatversion': '2', 'iiprop': 'size|mime|metadata|sha1'}).json()
    ii = r['query']['pages'][0]['imageinfo'][0]
    meta = {m['name']: m['value'] for m in (ii.get('metadata') or [])}
    props = {'width': ii['width'], 'height': ii['height'], 'mime': ii['mime'], 'size': ii['size'],
             'pagecount': ii.get('pagecount')}
    if 'frameCount' in meta:
        props['frameCount'] = meta['frameCount']
    if 'Orientation' in meta:
        props['Orientation'] = meta['Orientation']
    if 'animated' in meta:
        props['animated'] = meta['animated']
    return props


# iiurlwidth / iiurlheight / iiurlparam combinations asked for every file.
REQUESTS = [
    {'iiurlwidth': 120},
    {'iiurlwidth': 120, 'iiurlheight': 50},
    {'iiurlwidth': 120, 'iiurlheight': 120},
    {'iiurlheight': 100},
    {'iiurlheight': 0},
    {'iiurlwidth': 1},
    {'iiurlwidth': 7},
    {'iiurlwidth': 299},
    {'iiurlwidth': 300},
    {'iiurlwidth': 399},
    {'iiurlwidth': 400},
    {'iiurlwidth': 5000},
    {'iiurlwidth': 10000},
    {'iiurlwidth': 0},
    {'iiurlwidth': -5},
    {'iiurlwidth': 100, 'iiurlheight': -5},
    {'iiurlparam': '120px'},
    {'iiurlparam': '0px'},
    {'iiurlparam': 'interlaced-120px'},
    {'iiurlparam': 'qlow-120px'},
    {'iiurlparam': 'qlow-400px'},
    {'iiurlparam': 'qhigh-120px'},
    {'iiurlparam': 'page2-120px'},
    {'iiurlparam': 'lossy-page1-120px'},
    {'iiurlparam': 'langde-120px'},
    {'iiurlparam': 'langen-120px'},
    {'iiurlparam': 'langzz-Latn-120px'},
    {'iiurlparam': 'nonsense'},
    {'iiurlwidth': 200, 'iiurlparam': '120px'},
    {'iiurlheight': 80, 'iiurlparam': '120px'},
]

THUMBPHP = [
    ('f={rgb}&width=120', 'rgb'),
    ('f={rgb}&width=120px', 'rgb'),
    ('f={rgb}&w=150', 'rgb'),
    ('f={rgb}&width=5000', 'rgb'),
    ('f={rgb}&width=0', 'rgb'),
    ('f={rgb}', 'rgb'),
    ('f={rgb}&width=120&interlace=1', 'rgb'),
    ('f={photo}&width=120&quality=low', 'photo'),
    ('f={photo}&width=120&quality=high', 'photo'),
    ('f={huge}&width=120', 'huge'),
    ('f={svg}&width=120', 'svg'),
    ('f={svg}&width=120&lang=de', 'svg'),
    ('f={webp}&width=5000', 'webp'),
    ('f={tif}&width=120', 'tif'),
    ('f=Mwthumb-does-not-exist.png&width=120', None),
    ('f={old}&width=120&archived=1', 'old'),
    ('f=no-bang.png&width=120&archived=1', None),
]


def thumbphp(query):
    r = S.get(BASE + '/w/thumb.php?' + query, allow_redirects=False)
    ctype = r.headers.get('Content-Type', '')
    rec = {'query': query, 'status': r.status_code, 'content_type': ctype.split(';')[0]}
    if ctype.startswith('text/html'):
        m = re.search(r'<p>\s*(.*?)\s*</p>', r.text, re.S)
        rec['message'] = m.group(1) if m else r.text[:300]
    elif ctype.startswith('image/'):
        im = Image.open(io.BytesIO(r.content))
        rec['image_size'] = list(im.size)
    if 'Content-Disposition' in r.headers:
        rec['content_disposition'] = r.headers['Content-Disposition']
    return rec


def main():
    os.makedirs(SRC, exist_ok=True)
    os.makedirs(REF, exist_ok=True)
    tok = login()
    files = make_files()
    out = {'generator': None, 'imagemagick': None, 'files': {}, 'cases': [], 'history': [], 'thumbphp': [],
           'downloads': []}
    si = S.get(API, params={'action': 'query', 'meta': 'siteinfo', 'format': 'json'}).json()
    out['generator'] = si['query']['general']['generator']
    try:
        out['imagemagick'] = os.popen('convert -version').readline().strip()
    except OSError:
        pass

    for name, fixture, data in files:
        with open(os.path.join(SRC, fixture), 'wb') as f:
            f.write(data)
        upload(tok, name, data)
        props = file_props(name)
        props['fixture'] = 'src/' + fixture
        out['files'][name] = props
        print(name, props)

    for name, _, _ in files:
        for req in REQUESTS:
            ans = imageinfo(name, req)
            out['cases'].append({'file': name, 'request': req, 'answer': ans})
            print(name, req, json.dumps(ans)[:160])

    # An archived version: upload a second, smaller version of a PNG.
    hist = f'{PREFIX}-history.png'
    v1 = png_bytes(rgb_image(400, 300))
    v2 = png_bytes(rgb_image(200, 100))
    upload(tok, hist, v1)
    upload(tok, hist, v2)
    with open(os.path.join(SRC, 'history-v1.png'), 'wb') as f:
        f.write(v1)
    with open(os.path.join(SRC, 'history-v2.png'), 'wb') as f:
        f.write(v2)
    out['files'][hist] = dict(file_props(hist), fixture='src/history-v2.png', old_fixture='src/history-v1.png',
                              old_width=400, old_height=300)
    for req in [{'iiurlwidth': 120}, {'iiurlwidth': 250}, {'iiurlheight': 50}]:
        ans = imageinfo(hist, req, limit=2)
        out['history'].append({'file': hist, 'request': req, 'answer': ans})
        print(hist, req, json.dumps(ans)[:200])
    old_archive = S.get(API, params={'action': 'query', 'titles': 'File:' + hist, 'prop': 'imageinfo',
                                     'iilimit': '2', 'iiprop': 'archivename', 'format': 'json',
                                     'formatversion': '2'}).json()['query']['pages'][0]['imageinfo'][1]['archivename']

    names = {'rgb': f'{PREFIX}-rgb.png', 'photo': f'{PREFIX}-photo.jpg', 'huge': f'{PREFIX}-huge.png',
             'svg': f'{PREFIX}-drawing.svg', 'webp': f'{PREFIX}-pic.webp', 'tif': f'{PREFIX}-scan.tif',
             'old': old_archive}
    for q, _ in THUMBPHP:
        query = q.format(**{k: requests.utils.quote(v) for k, v in names.items()})
        rec = thumbphp(query)
        rec['query'] = norm_archive(rec['query'], old_archive)
        if 'content_disposition' in rec:
            rec['content_disposition'] = norm_archive(rec['content_disposition'], old_archive)
        out['thumbphp'].append(rec)
        print('thumb.php', rec)

    # Rendered thumbnails to compare pixels with: the first thumbnail of each renderable file at
    # a few widths, as MediaWiki's ImageMagick / rsvg made them.
    wanted = [
        ('rgb.png', f'{PREFIX}-rgb.png', {'iiurlwidth': 120}),
        ('rgb.png', f'{PREFIX}-rgb.png', {'iiurlwidth': 299}),
        ('alpha.png', f'{PREFIX}-alpha.png', {'iiurlwidth': 120}),
        ('tall.png', f'{PREFIX}-tall.png', {'iiurlheight': 100}),
        ('photo.jpg', f'{PREFIX}-photo.jpg', {'iiurlwidth': 120}),
        ('photo.jpg', f'{PREFIX}-photo.jpg', {'iiurlparam': 'qlow-120px'}),
        ('rotated.jpg', f'{PREFIX}-rotated.jpg', {'iiurlwidth': 120}),
        ('rotated.jpg', f'{PREFIX}-rotated.jpg', {'iiurlwidth': 5000}),
        ('upside.jpeg', f'{PREFIX}-upside.jpeg', {'iiurlwidth': 120}),
        ('still.gif', f'{PREFIX}-still.gif', {'iiurlwidth': 120}),
        ('anim.gif', f'{PREFIX}-anim.gif', {'iiurlwidth': 100}),
        ('biganim.gif', f'{PREFIX}-biganim.gif', {'iiurlwidth': 120}),
        ('pic.webp', f'{PREFIX}-pic.webp', {'iiurlwidth': 120}),
        ('pic.webp', f'{PREFIX}-pic.webp', {'iiurlwidth': 5000}),
        ('drawing.svg', f'{PREFIX}-drawing.svg', {'iiurlwidth': 120}),
        ('drawing.svg', f'{PREFIX}-drawing.svg', {'iiurlwidth': 450}),
        ('text.svg', f'{PREFIX}-text.svg', {'iiurlwidth': 300}),
    ]
    for fixture, name, req in wanted:
        ans = imageinfo(name, req)
        ii = ans['imageinfo'][0]
        url = ii['thumburl']
        body = S.get(BASE + url).content
        stem = os.path.splitext(fixture)[0]
        local = f'refwiki/{stem}--{url.rsplit("/", 1)[1]}'
        with open(os.path.join(FIX, local), 'wb') as f:
            f.write(body)
        out['downloads'].append({'file': name, 'source': 'src/' + fixture, 'request': req, 'thumburl': url,
                                 'thumbwidth': ii['thumbwidth'], 'thumbheight': ii['thumbheight'],
                                 'fixture': local, 'bytes': len(body)})
        print('downloaded', local, len(body))

    dest = os.path.join(FIX, 'refwiki-thumbs.json')
    with open(dest, 'w') as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write('\n')
    print('wrote', dest)


if __name__ == '__main__':
    main()
