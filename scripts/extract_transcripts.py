#!/usr/bin/env python3
"""Extracts the request/response pairs of the reference MediaWiki transcripts
(shared/spec/refwiki-transcripts.md) into tests/fixtures/refwiki-transcripts.json, so
the integration tests compare against MediaWiki 1.39's recorded answers without needing
the reference wiki (or shared/) at test time.

    python3 scripts/extract_transcripts.py ../shared/spec/refwiki-transcripts.md
"""
import json
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else '../shared/spec/refwiki-transcripts.md'
text = open(src, encoding='utf-8').read()
out = {}
for m in re.finditer(r'^### (\d+)\. (.*?)$(.*?)(?=^### |\Z)', text, re.S | re.M):
    num, title, body = m.group(1), m.group(2), m.group(3)
    blocks = re.findall(r'```json\n(.*?)\n```', body, re.S)
    if len(blocks) < 2:
        continue
    try:
        req = json.loads(blocks[0])
        resp = json.loads(blocks[1])
    except ValueError:
        continue
    status = re.search(r'Response: HTTP (\d+)', body)
    out[num] = {'title': title.strip(), 'request': req, 'response': resp,
                'status': int(status.group(1)) if status else None}
json.dump(out, open('tests/fixtures/refwiki-transcripts.json', 'w'), indent=1, ensure_ascii=False)
print(f'{len(out)} transcripts')
