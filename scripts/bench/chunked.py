#!/usr/bin/env python3
"""Chunked upload benchmark: one file in fixed-size chunks over loopback, then publish.

    python3 scripts/bench/chunked.py [SIZE_MIB] [CHUNK_MIB]      (defaults 1024 and 5)

Starts `target/release/mwupload serve` (build it first) with a temp data dir, uploads a text file
of SIZE_MIB in CHUNK_MIB chunks (stash=1, filesize/offset/filekey as MediaWiki's clients do),
publishes it, and reports wall time, throughput, the server's peak RSS and the bytes it wrote to
disk per byte uploaded (from /proc/PID/io write_bytes).
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time

import requests

size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
chunk_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 5
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
work = tempfile.mkdtemp()
conf = os.path.join(work, 'bench.toml')
with open(conf, 'w') as f:
    f.write('[uploads]\nmax_upload_size = %d\n' % ((size_mib + 16) << 20))
srv = subprocess.Popen([os.path.join(root, 'target/release/mwupload'), 'serve', '--init', '--listen', '127.0.0.1:0',
                        '--data', os.path.join(work, 'data'), '--config', conf],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    for line in srv.stdout:
        if line.startswith('listening on '):
            base = line.split()[-1]
            break
    creds = dict(l.split('=', 1) for l in open(os.path.join(work, 'data/initial-credentials.env')).read().splitlines() if '=' in l and not l.startswith('#'))
    api = creds['API_URL']
    s = requests.Session()
    lt = s.get(api, params={'action': 'query', 'meta': 'tokens', 'type': 'login', 'format': 'json'}).json()['query']['tokens']['logintoken']
    s.post(api, data={'action': 'login', 'lgname': creds['BOT_USER'], 'lgpassword': creds['BOT_PASS'], 'lgtoken': lt, 'format': 'json'})
    csrf = s.get(api, params={'action': 'query', 'meta': 'tokens', 'format': 'json'}).json()['query']['tokens']['csrftoken']

    line = b'mwupload chunked benchmark line\n'
    chunk = (line * ((chunk_mib << 20) // len(line) + 1))[:chunk_mib << 20]
    total = size_mib << 20
    sha = hashlib.sha1()

    def io_written():
        return int(re.search(r'write_bytes: (\d+)', open('/proc/%d/io' % srv.pid).read()).group(1))

    w0 = io_written()
    t0 = time.time()
    offset, key, res = 0, None, None
    while offset < total:
        part = chunk[:min(len(chunk), total - offset)]
        sha.update(part)
        data = {'action': 'upload', 'format': 'json', 'stash': 1, 'filename': 'Bench-chunked.txt',
                'filesize': total, 'offset': offset, 'token': csrf, 'ignorewarnings': 1}
        if key:
            data['filekey'] = key
        res = s.post(api, data=data, files={'chunk': ('c', part)}).json()['upload']
        key = res.get('filekey', key)
        offset += len(part)
    assert res['result'] == 'Success', res
    assert res['imageinfo']['sha1'] == sha.hexdigest()
    pub = s.post(api, data={'action': 'upload', 'format': 'json', 'filename': 'Bench-chunked.txt',
                            'filekey': res['filekey'], 'token': csrf}).json()['upload']
    assert pub['result'] == 'Success', pub
    dt = time.time() - t0
    written = io_written() - w0
    hwm = re.search(r'VmHWM:\s+(\d+) kB', open('/proc/%d/status' % srv.pid).read()).group(1)
    print(f'{size_mib} MiB in {chunk_mib} MiB chunks: {dt:.1f} s, {size_mib / dt:.0f} MiB/s, '
          f'bytes written per byte uploaded {written / total:.2f}, peak RSS {int(hwm) / 1024:.1f} MiB')
finally:
    srv.kill()
    subprocess.run(['rm', '-rf', work])
