"""The PNG generator of tests/common/mod.rs::png(), for recording scripts: same bytes, same hashes."""
import struct
import zlib


def png(width, height, seed):
    """Same bytes as the Rust test kit's png(): xorshift noise, stored deflate blocks."""
    mask = (1 << 64) - 1
    s = ((seed * 6364136223846793005 + 1442695040888963407) & mask) | 1
    row = 1 + 3 * width
    raw = bytearray(row * height)
    for i in range(len(raw)):
        s ^= (s << 13) & mask
        s ^= s >> 7
        s ^= (s << 17) & mask
        raw[i] = 0 if i % row == 0 else (s >> 24) & 0xff
    z = bytearray(b'\x78\x01')
    n = len(raw)
    i = 0
    while i < n:
        end = min(i + 65535, n)
        ln = end - i
        z += bytes([1 if end == n else 0]) + struct.pack('<HH', ln, ln ^ 0xffff) + raw[i:end]
        i = end
    z += struct.pack('>I', zlib.adler32(bytes(raw)) & 0xffffffff)

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', bytes(z)) + chunk(b'IEND', b'')
