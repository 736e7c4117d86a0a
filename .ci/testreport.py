#!/usr/bin/env python3
"""Reads `go test -json` output and prints what CI needs: the failing tests with their output, the
number of passed/failed/skipped tests (subtests included), and every skipped test whose skip message
mentions PostgreSQL. Exit status 1 if a test failed, a package failed to build, or a PostgreSQL test was
skipped (CI provides PostgreSQL, so such a skip means a run that tested nothing)."""
import json
import re
import sys
from collections import defaultdict

out = defaultdict(list)
counts = defaultdict(int)
failed, pg_skips, broken = [], [], []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.strip()
    if not line.startswith("{"):
        continue  # build errors and other non-JSON lines
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    key = (ev.get("Package", ""), ev.get("Test", ""))
    act = ev.get("Action")
    if act == "output":
        out[key].append(ev.get("Output", ""))
    elif act in ("pass", "fail", "skip"):
        if key[1]:
            counts[act] += 1
            if act == "fail":
                failed.append(key)
            elif act == "skip" and re.search(r"postgres", "".join(out[key]), re.I):
                pg_skips.append(key)
        elif act == "fail":
            broken.append(key[0])

for pkg, test in failed:
    print(f"--- FAIL: {pkg} {test}")
    print("".join(out[(pkg, test)][-60:]))
for pkg in broken:
    if not any(p == pkg for p, _ in failed):
        print(f"FAIL package {pkg}")
        print("".join(out[(pkg, "")][-40:]))
for pkg, test in pg_skips:
    print(f"CI: PostgreSQL test skipped: {pkg} {test}: {''.join(out[(pkg, test)]).strip()}")
print(f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped")
sys.exit(1 if failed or broken or pg_skips else 0)
