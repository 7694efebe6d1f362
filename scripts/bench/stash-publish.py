#!/usr/bin/env python3
"""Times the publish by file key of a large SVG stashed in chunks (what the stash's recorded
verification saves: the SVG checks read the whole file).

Usage: scripts/bench/stash-publish.py API USER PASSWORD [MIB=64]
(a bot password's user name and password; e.g. from DATA/initial-credentials.env)."""
import sys, time
import requests

api, user, password = sys.argv[1:4]
mib = int(sys.argv[4]) if len(sys.argv) > 4 else 64
s = requests.Session()
tok = s.get(api, params=dict(action="query", meta="tokens", type="login", format="json")).json()
s.post(api, data=dict(action="login", lgname=user, lgpassword=password,
                      lgtoken=tok["query"]["tokens"]["logintoken"], format="json")).raise_for_status()
csrf = s.get(api, params=dict(action="query", meta="tokens", format="json")).json()["query"]["tokens"]["csrftoken"]
head = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">\n'
line = b'<path d="M 1 2 L 3 4 L 5 6 Z" fill="#123456" stroke="black"/>\n'
data = head + line * ((mib << 20) // len(line)) + b"</svg>\n"
name = "Stash-publish-%d.svg" % time.time_ns()
chunk, key, r = 5 << 20, None, {}
for off in range(0, len(data), chunk):
    p = dict(action="upload", format="json", stash="1", filename=name, filesize=str(len(data)),
             offset=str(off), token=csrf, ignorewarnings="1")
    if key:
        p["filekey"] = key
    r = s.post(api, data=p, files={"chunk": ("chunk", data[off:off + chunk])}).json()
    key = r["upload"]["filekey"]
assert r["upload"]["result"] == "Success", r
t0 = time.perf_counter()
r = s.post(api, data=dict(action="upload", format="json", filename=name, filekey=key,
                          comment="stash-publish", token=csrf, ignorewarnings="1")).json()
ms = (time.perf_counter() - t0) * 1000
assert r["upload"]["result"] == "Success", r
print(f"{mib} MiB SVG: publish by file key {ms:.1f} ms")
