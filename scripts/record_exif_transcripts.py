#!/usr/bin/env python3
"""Records how MediaWiki 1.39 extracts EXIF metadata (issue 14) into tests/fixtures/refwiki-exif.json;
tests/exif.rs uploads the same bytes to mwupload and compares imageinfo's `metadata`,
`commonmetadata`, `extmetadata`, size and MIME type.

    set -a; . /tmp/refwiki/credentials.env; set +a
    /tmp/venv-exif/bin/python scripts/record_exif_transcripts.py [--prefix Exif]   # needs requests + Pillow

File names are `PREFIX-<name>`; a wiki that already holds them refuses the same bytes again
(`fileexists-no-change`), so pass another prefix when recording twice on one wiki.

The test files are built here byte by byte (a small TIFF writer below), so every tag's type,
count, byte order and order in its directory is chosen, including invalid ones MediaWiki drops.
The fixture stores each file's bytes (base64): tests never rebuild them.
"""
import base64
import io
import json
import os
import struct
import sys

import requests

API = os.environ.get('API_URL', 'http://127.0.0.1:8080/w/api.php')
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
PREFIX = sys.argv[sys.argv.index('--prefix') + 1] if '--prefix' in sys.argv else 'Exif'

# TIFF field types
BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEF, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE = range(1, 13)
SIZE = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, SBYTE: 1, UNDEF: 1, SSHORT: 2, SLONG: 4,
        SRATIONAL: 8, FLOAT: 4, DOUBLE: 8}


class Ptr:
    """A LONG entry whose value is the offset of another directory or blob."""

    def __init__(self, target):
        self.target = target


def enc(e, ty, vals):
    """Encode values of a type; returns (count, bytes)."""
    if ty in (ASCII, UNDEF) or (ty in (BYTE, SBYTE) and isinstance(vals, bytes)):
        b = vals if isinstance(vals, bytes) else vals.encode('latin-1')
        return len(b), b
    if not isinstance(vals, (list, tuple)):
        vals = [vals]
    fmt = {BYTE: 'B', SBYTE: 'b', SHORT: 'H', SSHORT: 'h', LONG: 'I', SLONG: 'i', FLOAT: 'f', DOUBLE: 'd'}
    if ty in (RATIONAL, SRATIONAL):
        f = 'I' if ty == RATIONAL else 'i'
        return len(vals), b''.join(struct.pack(e + f + f, n, d) for n, d in vals)
    return len(vals), b''.join(struct.pack(e + fmt[ty], v) for v in vals)


def build_tiff(little, ifds, blobs=None, sort=True):
    """ifds: ordered dict name -> list of (tag, type, value) or (tag, Ptr); 'IFD0' first; an
    'IFD1' is chained after IFD0. blobs: name -> bytes. Returns the TIFF bytes."""
    e = '<' if little else '>'
    blobs = blobs or {}
    names = list(ifds)
    # first pass: sizes
    layout = {}
    pos = 8
    encoded = {}
    for n in names:
        ents = []
        for ent in ifds[n]:
            if isinstance(ent[1], Ptr):
                ents.append((ent[0], LONG, 1, ent[1]))
            else:
                tag, ty, v = ent
                cnt, data = enc(e, ty, v)
                ents.append((tag, ty, cnt, data))
        if sort:
            ents.sort(key=lambda x: x[0])
        encoded[n] = ents
        layout[n] = pos
        pos += 2 + 12 * len(ents) + 4
        for tag, ty, cnt, data in ents:
            if not isinstance(data, Ptr) and len(data) > 4:
                pos += len(data) + (len(data) & 1)
    for b in blobs:
        layout[b] = pos
        pos += len(blobs[b]) + (len(blobs[b]) & 1)
    out = bytearray(b'II*\x00' if little else b'MM\x00*')
    out += struct.pack(e + 'I', layout[names[0]])
    for n in names:
        assert len(out) == layout[n], (n, len(out), layout[n])
        ents = encoded[n]
        out += struct.pack(e + 'H', len(ents))
        data_at = layout[n] + 2 + 12 * len(ents) + 4
        extra = bytearray()
        for tag, ty, cnt, data in ents:
            out += struct.pack(e + 'HHI', tag, ty, cnt)
            if isinstance(data, Ptr):
                out += struct.pack(e + 'I', layout[data.target])
            elif len(data) <= 4:
                out += data + b'\x00' * (4 - len(data))
            else:
                out += struct.pack(e + 'I', data_at + len(extra))
                extra += data + b'\x00' * (len(data) & 1)
        nxt = layout['IFD1'] if n == 'IFD0' and 'IFD1' in ifds else 0
        out += struct.pack(e + 'I', nxt)
        out += extra
    for b in blobs:
        assert len(out) == layout[b]
        out += blobs[b] + b'\x00' * (len(blobs[b]) & 1)
    return bytes(out)


def base_jpeg(w=8, h=6, comment=None):
    from PIL import Image
    im = Image.new('RGB', (w, h), (200, 30, 60))
    buf = io.BytesIO()
    im.save(buf, 'JPEG', quality=50)
    b = buf.getvalue()
    if comment is not None:
        seg = b'\xff\xfe' + struct.pack('>H', len(comment) + 2) + comment
        b = b[:2] + seg + b[2:]
    return b


def jpeg_with_exif(tiff, **kw):
    b = base_jpeg(**kw)
    payload = b'Exif\x00\x00' + tiff
    app1 = b'\xff\xe1' + struct.pack('>H', len(payload) + 2) + payload
    return b[:2] + app1 + b[2:]


def camera_ifds():
    """A typical camera's tags (valid types)."""
    ifd0 = [
        (0x010F, ASCII, 'Canon\x00'), (0x0110, ASCII, 'Canon EOS 5D Mark IV\x00'), (0x0112, SHORT, 1),
        (0x011A, RATIONAL, [(72, 1)]), (0x011B, RATIONAL, [(72, 1)]), (0x0128, SHORT, 2),
        (0x0131, ASCII, 'GIMP 2.10\x00'), (0x0132, ASCII, '2021:07:04 12:34:56\x00'),
        (0x013B, ASCII, 'Jane Doe\x00'), (0x0213, SHORT, 2), (0x8298, ASCII, 'CC BY-SA 4.0\x00'),
        (0x010E, ASCII, 'A red square\x00'),
        (0x8769, Ptr('EXIF')),
    ]
    exif = [
        (0x829A, RATIONAL, [(1, 250)]), (0x829D, RATIONAL, [(28, 10)]), (0x8822, SHORT, 3),
        (0x8827, SHORT, 200), (0x9000, UNDEF, b'0230'), (0x9003, ASCII, '2021:07:04 12:34:56\x00'),
        (0x9004, ASCII, '2021:07:04 12:35:00\x00'), (0x9101, UNDEF, b'\x01\x02\x03\x00'),
        (0x9102, RATIONAL, [(3, 1)]),
        (0x9201, SRATIONAL, [(7965784, 1000000)]), (0x9202, RATIONAL, [(2970854, 1000000)]),
        (0x9203, SRATIONAL, [(-5, 10)]),
        (0x9204, SRATIONAL, [(-1, 3)]), (0x9205, RATIONAL, [(3, 1)]), (0x9206, RATIONAL, [(150, 100)]),
        (0x9207, SHORT, 5), (0x9208, SHORT, 0), (0x9209, SHORT, 16), (0x920A, RATIONAL, [(50, 1)]),
        (0x927C, UNDEF, b'Canon\x00makernote\x00\x01\x02'),
        (0x9286, UNDEF, b'ASCII\x00\x00\x00A user comment  '),
        (0x9290, ASCII, '42\x00'), (0x9291, ASCII, '420\x00'), (0x9292, ASCII, '07\x00'),
        (0xA000, UNDEF, b'0100'), (0xA001, SHORT, 1), (0xA002, LONG, 8), (0xA003, SHORT, 6),
        (0xA20E, RATIONAL, [(3942400, 1000)]), (0xA20F, RATIONAL, [(3942400, 1000)]), (0xA210, SHORT, 2),
        (0xA217, SHORT, 2), (0xA300, UNDEF, b'\x03'), (0xA301, UNDEF, b'\x01'),
        (0xA401, SHORT, 0), (0xA402, SHORT, 1), (0xA403, SHORT, 0), (0xA404, RATIONAL, [(0, 1)]),
        (0xA405, SHORT, 50), (0xA406, SHORT, 0), (0xA407, SHORT, 1), (0xA408, SHORT, 0),
        (0xA409, SHORT, 2), (0xA40A, SHORT, 1), (0xA40C, SHORT, 2),
        (0xA420, ASCII, '0123456789abcdef0123456789abcdef\x00'),
        (0xA432, RATIONAL, [(24, 1), (70, 1), (0, 0), (0, 0)]),  # LensSpecification: not in MediaWiki's list
        (0xA434, ASCII, 'EF24-70mm f/2.8L II USM\x00'),
    ]
    ifd1 = [(0x0103, SHORT, 6), (0x011A, RATIONAL, [(72, 1)]), (0x011B, RATIONAL, [(72, 1)]),
            (0x0128, SHORT, 2), (0x0201, LONG, 0), (0x0202, LONG, 0)]
    return {'IFD0': ifd0, 'EXIF': exif, 'IFD1': ifd1}


def gps_ifds(north, east, alt_ref, extra=()):
    ifd0 = [(0x010F, ASCII, 'Apple\x00'), (0x0110, ASCII, 'iPhone 12\x00'), (0x0112, SHORT, 6),
            (0x8769, Ptr('EXIF')), (0x8825, Ptr('GPS'))]
    exif = [(0x9000, UNDEF, b'0231'), (0x829A, RATIONAL, [(1, 60)]), (0x8827, SHORT, 32),
            (0x920A, RATIONAL, [(42, 10)])]
    gps = [
        (0x0000, BYTE, [2, 2, 0, 0]), (0x0001, ASCII, ('N' if north else 'S') + '\x00'),
        (0x0002, RATIONAL, [(48, 1), (51, 1), (2970, 100)]),
        (0x0003, ASCII, ('E' if east else 'W') + '\x00'), (0x0004, RATIONAL, [(2, 1), (17, 1), (4000, 1000)]),
        (0x0005, BYTE, [alt_ref]), (0x0006, RATIONAL, [(12345, 100)]),
        (0x0007, RATIONAL, [(14, 1), (3, 1), (2550, 100)]), (0x0009, ASCII, 'A\x00'),
        (0x000A, ASCII, '3\x00'), (0x000B, RATIONAL, [(5, 2)]),
        (0x000C, ASCII, 'K\x00'), (0x000D, RATIONAL, [(0, 1)]), (0x0010, ASCII, 'T\x00'),
        (0x0011, RATIONAL, [(27015, 100)]), (0x0012, ASCII, 'WGS-84\x00'),
        (0x001B, UNDEF, b'ASCII\x00\x00\x00GPS'), (0x001D, ASCII, '2021:07:04\x00'),
        (0x001F, RATIONAL, [(5, 1)]),  # GPSHPositioningError: not in MediaWiki's list
    ] + list(extra)
    return {'IFD0': ifd0, 'EXIF': exif, 'GPS': gps}


def bad_ifds():
    """Wrong types and counts, text MediaWiki refuses, and sections MediaWiki ignores."""
    ifd0 = [
        (0x010F, SHORT, 5),                       # Make as a number: kept? (isASCII on "5")
        (0x0110, ASCII, 'Model\x00with NUL\x00'),  # NUL inside: cut there
        (0x0112, ASCII, '6\x00'),                 # Orientation as ASCII
        (0x011A, RATIONAL, [(72, 0)]),            # zero denominator
        (0x011B, RATIONAL, [(72, 1), (72, 1)]),   # two values for one
        (0x0102, SHORT, [8, 8]),                  # BitsPerSample wants 3
        (0x0131, ASCII, 'Caf\xe9 editor\x00'),    # non-ASCII byte
        (0x0132, ASCII, '   \x00'),               # whitespace only
        (0x013B, ASCII, 'x' * 2000 + '\x00'),     # very long
        (0x010E, ASCII, 'line one\nline two\x00'),
        (0x8298, ASCII, 'Photographer\x00Editor\x00'),
        (0x0212, SHORT, [2, 1]),                  # YCbCrSubSampling
        (0x0213, SHORT, 70000 & 0xFFFF),
        (0x013E, RATIONAL, [(3127, 10000), (3290, 10000)]),  # WhitePoint
        (0x9999, ASCII, 'unknown tag\x00'),
        (0x8769, Ptr('EXIF')),
    ]
    exif = [
        (0x010F, ASCII, 'Make in the Exif IFD\x00'),  # not an Exif IFD tag for MediaWiki
        (0x8827, SHORT, [100, 200]),              # ISOSpeedRatings with two values
        (0x829A, RATIONAL, [(3000000000, 1)]),    # numerator above 2^31
        (0x829D, LONG, 4),                        # FNumber as LONG
        (0x9204, SRATIONAL, [(1, -3)]),           # negative denominator
        (0x9201, SLONG, -5),                      # ShutterSpeedValue as SLONG
        (0x920A, FLOAT, 3.5),                     # FocalLength as FLOAT
        (0x9206, DOUBLE, 2.25),                   # SubjectDistance as DOUBLE
        (0x8822, LONG, 70000),                    # ExposureProgram too big for a SHORT
        (0x9207, SSHORT, -2),                     # MeteringMode negative
        (0x9214, SHORT, [1, 2, 3, 4]),            # SubjectArea with its 4 values
        (0xA214, SHORT, [10, 20]),                # SubjectLocation
        (0x9286, UNDEF, b'UNICODE\x00' + 'Gr\u00fc\u00dfe \u2603'.encode('utf-16-be')),
        (0x9003, ASCII, '2021:13:45 99:99:99\x00'),  # nonsense date, still ASCII
        (0x9004, ASCII, '\x00'),                  # empty
        (0xA420, BYTE, [65, 66, 67]),             # ImageUniqueID as BYTEs
        (0xA300, UNDEF, b''),                     # empty FileSource
        (0xA301, UNDEF, b'\x01\x02'),
        (0x9000, ASCII, '0220\x00'),              # ExifVersion as ASCII
        (0xA000, UNDEF, b'01\x000'),
        (0x9101, UNDEF, b'\x01\x02'),             # ComponentsConfiguration, short
        (0xA405, SHORT, 0),
        (0xA004, ASCII, 'SND00001.WAV\x00'),
    ]
    return {'IFD0': ifd0, 'EXIF': exif}


def tiff_image_ifd0(w, h, extra, little):
    pixels = bytes([10, 200, 30]) * (w * h)
    ifd0 = [
        (0x0100, SHORT, w), (0x0101, SHORT, h), (0x0102, SHORT, [8, 8, 8]), (0x0103, SHORT, 1),
        (0x0106, SHORT, 2), (0x0111, Ptr('pixels')), (0x0115, SHORT, 3), (0x0116, SHORT, h),
        (0x0117, LONG, len(pixels)), (0x011C, SHORT, 1),
    ] + extra
    return ifd0, {'pixels': pixels}


def files():
    out = []
    cam = camera_ifds()
    out.append(('camera.jpg', jpeg_with_exif(build_tiff(False, cam))))
    out.append(('camera-le.jpg', jpeg_with_exif(build_tiff(True, cam))))
    out.append(('gps-nw.jpg', jpeg_with_exif(build_tiff(True, gps_ifds(True, False, 1)))))
    out.append(('gps-se.jpg', jpeg_with_exif(build_tiff(False, gps_ifds(False, True, 0, [
        (0x0013, ASCII, 'S\x00'), (0x0014, RATIONAL, [(10, 1), (30, 1), (0, 1)]),
        (0x0015, ASCII, 'E\x00'), (0x0016, RATIONAL, [(0, 1), (0, 1), (0, 1)]),
        (0x001C, UNDEF, b'UNICODE\x00' + 'Area'.encode('utf-16-be')), (0x001E, SHORT, 1)])))))
    bad_gps = gps_ifds(True, True, 2)
    bad_gps['GPS'] = [(0x0000, BYTE, [2, 3, 0, 0]), (0x0001, ASCII, 'X\x00'),
                      (0x0002, RATIONAL, [(48, 1), (51, 1), (2970, 100)]),
                      (0x0003, ASCII, 'E\x00'), (0x0004, RATIONAL, [(2, 0), (17, 1), (4, 1)]),
                      (0x0005, UNDEF, b'\x02'), (0x0006, RATIONAL, [(100, 1)]),
                      (0x0007, RATIONAL, [(1, 1), (2, 1)]), (0x001D, ASCII, '2021:07:04\x00')]
    out.append(('gps-bad.jpg', jpeg_with_exif(build_tiff(False, bad_gps))))
    out.append(('bad-types.jpg', jpeg_with_exif(build_tiff(True, bad_ifds(), sort=False))))
    com = {'IFD0': [(0x010F, ASCII, 'Nikon\x00'), (0x0110, ASCII, 'D750\x00'), (0x0112, SHORT, 8),
                    (0x8769, Ptr('EXIF'))],
           'EXIF': [(0x9286, UNDEF, b'\x00' * 8 + 'Gr\u00fc\u00dfe'.encode('utf-8')),
                    (0x9000, UNDEF, b'0221'), (0x8827, SHORT, 64)]}
    out.append(('comment.jpg', jpeg_with_exif(build_tiff(False, com), comment=b'A JPEG comment')))
    uc = {'IFD0': [(0x010F, ASCII, 'Sony\x00'), (0x8769, Ptr('EXIF'))],
          'EXIF': [(0x9286, UNDEF, b'UNICODE\x00' + 'Unicode comment \u00e9'.encode('utf-16-le')),
                   (0x829A, RATIONAL, [(10, 1)])]}
    out.append(('unicode-le.jpg', jpeg_with_exif(build_tiff(True, uc))))
    cp = {'IFD0': [(0x010F, ASCII, 'Olympus\x00'), (0x8769, Ptr('EXIF'))],
          'EXIF': [(0x9286, UNDEF, b'ASCII\x00\x00\x00' + 'Caf\u00e9'.encode('cp1252')),
                   (0xA433, ASCII, 'LensMake\x00')]}
    out.append(('cp1252-comment.jpg', jpeg_with_exif(build_tiff(False, cp))))
    ws = {'IFD0': [(0x8769, Ptr('EXIF'))], 'EXIF': [(0x9286, UNDEF, b'ASCII\x00\x00\x00   ')]}
    out.append(('whitespace-comment.jpg', jpeg_with_exif(build_tiff(False, ws))))
    # hostile: offsets out of range, a loop, a truncated directory
    broken = bytearray(build_tiff(False, {'IFD0': [(0x010F, ASCII, 'Truncated maker\x00'),
                                                  (0x0110, ASCII, 'M\x00'), (0x8769, Ptr('EXIF'))],
                                          'EXIF': [(0x9000, UNDEF, b'0230')]}))
    struct.pack_into('>I', broken, 8 + 2 + 12 * 0 + 8, 0xFFFFFF00)  # Make's offset out of range
    out.append(('broken-offsets.jpg', jpeg_with_exif(bytes(broken))))
    # TIFFs
    le0, blobs = tiff_image_ifd0(4, 3, [
        (0x010F, ASCII, 'Scanner Co\x00'), (0x0110, ASCII, 'Flatbed 9000\x00'), (0x0112, SHORT, 1),
        (0x011A, RATIONAL, [(300, 1)]), (0x011B, RATIONAL, [(300, 1)]), (0x0128, SHORT, 2),
        (0x0131, ASCII, 'scanit 1.0\x00'), (0x0132, ASCII, '2020:01:02 03:04:05\x00'),
        (0x8769, Ptr('EXIF')), (0x8825, Ptr('GPS'))], True)
    tif = {'IFD0': le0, 'EXIF': [(0x9000, UNDEF, b'0230'), (0x829D, RATIONAL, [(56, 10)]),
                                 (0x8827, SHORT, 400), (0xA001, SHORT, 65535),
                                 (0x9286, UNDEF, b'ASCII\x00\x00\x00tiff comment')],
           'GPS': [(0x0000, BYTE, [2, 2, 0, 0]), (0x0001, ASCII, 'N\x00'),
                   (0x0002, RATIONAL, [(10, 1), (20, 1), (30, 1)]), (0x0003, ASCII, 'E\x00'),
                   (0x0004, RATIONAL, [(40, 1), (0, 1), (0, 1)]), (0x0005, BYTE, [0]),
                   (0x0006, RATIONAL, [(7, 2)])]}
    out.append(('scan-le.tif', build_tiff(True, tif, blobs)))
    be0, blobs = tiff_image_ifd0(4, 3, [
        (0x010F, ASCII, 'BigEndian Inc\x00'), (0x0112, SHORT, 6), (0x0131, ASCII, 'be-writer\x00'),
        (0x013B, ASCII, 'Someone\x00'), (0x8298, ASCII, '(c) 2020\x00'),
        (0x013E, RATIONAL, [(3127, 10000), (3290, 10000)]),
        (0x8769, Ptr('EXIF'))], False)
    tif = {'IFD0': be0, 'EXIF': [(0x9000, UNDEF, b'0230'), (0x829A, RATIONAL, [(1, 125)]),
                                 (0x9101, UNDEF, b'\x04\x05\x06\x00'), (0x9003, ASCII, '2020:01:02 03:04:05\x00')]}
    out.append(('rotated-be.tif', build_tiff(False, tif, blobs)))
    plain0, blobs = tiff_image_ifd0(5, 2, [], True)
    out.append(('plain.tif', build_tiff(True, {'IFD0': plain0}, blobs)))
    out.extend(edge_files())
    return out


def edge_files():
    """Where PHP's reader stops, and what it passes over."""
    out = []
    # A bad entry in the middle of the Exif IFD: what came before stays, the rest and the GPS
    # directory (after the Exif pointer in IFD0) are lost.
    mid = {'IFD0': [(0x010F, ASCII, 'Midway\x00'), (0x8769, Ptr('EXIF')), (0x8825, Ptr('GPS'))],
           'EXIF': [(0x829A, RATIONAL, [(1, 30)]), (0x8827, SHORT, 100), (0x9003, ASCII, 'X' * 30 + '\x00'),
                    (0x920A, RATIONAL, [(35, 1)])],
           'GPS': [(0x0001, ASCII, 'N\x00'), (0x0002, RATIONAL, [(1, 1), (2, 1), (3, 1)])]}
    b = bytearray(build_tiff(False, mid))
    # the DateTimeOriginal entry (third in the Exif IFD) points outside the block
    exif_at = struct.unpack_from('>I', b, 8 + 2 + 12 * 1 + 8)[0]
    struct.pack_into('>I', b, exif_at + 2 + 12 * 2 + 8, 0x7FFF0000)
    out.append(('stops-midway.jpg', jpeg_with_exif(bytes(b))))
    # FNumber with no value: PHP needs one and stops
    fn0 = {'IFD0': [(0x010F, ASCII, 'Empty FNumber\x00'), (0x8769, Ptr('EXIF'))],
           'EXIF': [(0x829A, RATIONAL, [(1, 30)]), (0x829D, RATIONAL, []), (0x8827, SHORT, 100)]}
    out.append(('empty-fnumber.jpg', jpeg_with_exif(build_tiff(False, fn0))))
    # Interoperability IFD (read, not kept), a thumbnail IFD, a Nikon maker note PHP can walk,
    # a single-rational latitude (T386208), JIS UserComment, ASCII Orientation of 8
    nik = {'IFD0': [(0x010F, ASCII, 'NIKON\x00'), (0x0110, ASCII, 'E990\x00'), (0x0112, SHORT, 8),
                    (0x8769, Ptr('EXIF')), (0x8825, Ptr('GPS'))],
           'EXIF': [(0x829A, RATIONAL, [(1, 30)]),
                    (0x927C, UNDEF, b'\x00\x02' + struct.pack('>HHI', 1, 3, 1) + b'\x00\x05\x00\x00'
                     + struct.pack('>HHI', 2, 2, 3) + b'ab\x00\x00' + b'\x00\x00\x00\x00'),
                    (0x9286, UNDEF, b'JIS\x00\x00\x00\x00\x00plain jis'),
                    (0xA005, Ptr('INTEROP')), (0xA420, ASCII, 'after-interop\x00')],
           'INTEROP': [(0x0001, ASCII, 'R98\x00'), (0x0002, UNDEF, b'0100')],
           'GPS': [(0x0001, ASCII, 'S\x00'), (0x0002, RATIONAL, [(45, 2)]), (0x0003, ASCII, 'W\x00'),
                   (0x0004, RATIONAL, [(0, 1), (30, 1), (0, 1)]), (0x0006, RATIONAL, [(0, 1)])],
           'IFD1': [(0x0103, SHORT, 6), (0x0201, LONG, 0), (0x0202, LONG, 0)]}
    out.append(('nikon-interop.jpg', jpeg_with_exif(build_tiff(False, nik))))
    # Two Exif segments: the first has a broken TIFF header (PHP skips it), the second is read;
    # MediaWiki takes the byte order from the last one
    second = build_tiff(True, {'IFD0': [(0x010F, ASCII, 'Second segment\x00'), (0x8769, Ptr('EXIF'))],
                               'EXIF': [(0x9286, UNDEF, b'UNICODE\x00' + 'two'.encode('utf-16-le'))]})
    j = jpeg_with_exif(second)
    bad = b'Exif\x00\x00XX\x00*\x00\x00\x00\x08' + b'\x00' * 8
    j = j[:2] + b'\xff\xe1' + struct.pack('>H', len(bad) + 2) + bad + j[2:]
    out.append(('two-app1.jpg', j))
    # TIFF: orientation 8 as ASCII, ImageWidth as LONG, a 20000-character Artist, a float Make
    rot0, blobs = tiff_image_ifd0(4, 3, [(0x0112, ASCII, '8\x00'), (0x013B, ASCII, 'y' * 20000 + '\x00'),
                                         (0x0110, FLOAT, 1.5)], False)
    rot0 = [(t, LONG, 4) if t == 0x0100 else e for e in rot0 for t in [e[0]]]
    out.append(('rotated-ascii-be.tif', build_tiff(False, {'IFD0': rot0}, blobs)))
    # TIFF whose Make points outside the file: PHP stops there
    broken0, blobs = tiff_image_ifd0(4, 3, [(0x010F, ASCII, 'Broken TIFF maker\x00')], True)
    tb = bytearray(build_tiff(True, {'IFD0': broken0}, blobs))
    n = struct.unpack_from('<H', tb, 8)[0]
    for i in range(n):
        if struct.unpack_from('<H', tb, 8 + 2 + 12 * i)[0] == 0x010F:
            struct.pack_into('<I', tb, 8 + 2 + 12 * i + 8, 0x7FFFFF00)
    out.append(('broken-make.tif', bytes(tb)))
    return out


def main():
    s = requests.Session()
    lt = s.get(API, params={'action': 'query', 'meta': 'tokens', 'type': 'login', 'format': 'json'}).json()['query']['tokens']['logintoken']
    r = s.post(API, data={'action': 'login', 'lgname': os.environ['BOT_USER'], 'lgpassword': os.environ['BOT_PASS'],
                          'lgtoken': lt, 'format': 'json'}).json()
    assert r['login']['result'] == 'Success', r
    tok = s.get(API, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']
    cases = []
    for name, data in files():
        title = f'{PREFIX}-{name}'
        up = s.post(API, data={'action': 'upload', 'filename': title, 'ignorewarnings': '1', 'format': 'json',
                               'comment': 'exif', 'token': tok}, files={'file': (name, data)}).json()
        assert 'upload' in up and up['upload'].get('result') == 'Success', up
        case = {'name': title, 'bytes': base64.b64encode(data).decode('ascii'),
                'upload_imageinfo': up['upload']['imageinfo'], 'imageinfo': []}
        for version in ('latest', '1'):
            for fv in ('1', '2'):
                params = {'action': 'query', 'prop': 'imageinfo', 'titles': 'File:' + title, 'format': 'json',
                          'iiprop': 'metadata|commonmetadata|extmetadata|size|dimensions|mime',
                          'iimetadataversion': version, 'formatversion': fv}
                body = s.get(API, params=params).json()
                case['imageinfo'].append({'params': {k: v for k, v in params.items() if k != 'titles'},
                                          'response': body})
        cases.append(case)
        print(title, len(data), json.dumps(case['imageinfo'][1]['response'])[:300])
    with open(os.path.join(ROOT, 'tests/fixtures/refwiki-exif.json'), 'w') as f:
        json.dump(cases, f, indent=1, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    main()
