#!/usr/bin/env python3
"""Summarises a tether-fuzz Maven log (the fuzzing pass) as a Markdown table: one row per target
with libFuzzer's own final figures. Usage: scripts/fuzz-summary.py < build.log"""
import re
import sys

rows = []
target = None
last = None
for line in sys.stdin:
    m = re.search(r"using inputs from: \S*/\.cifuzz-corpus/dev\.tether\.fuzz\.(\S+?)/(\w+)$", line.strip())
    if m:
        target = m.group(1)
    m = re.match(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+) .*exec/s: (\d+) rss: (\d+)Mb", line)
    if m:
        last = m.groups()
    m = re.match(r"Done (\d+) runs in (\d+) second", line)
    if m and target and last:
        runs, secs = m.groups()
        _, cov, ft, corp, corpsize, eps, rss = last
        rows.append((target, secs, runs, eps, cov, ft, f"{corp} ({corpsize})", rss))
        target, last = None, None
    if "FuzzTestFindingException" in line and target:
        rows.append((target, "-", "-", "-", "-", "-", "FINDING", "-"))
print("| target | seconds | executions | exec/s | coverage (edges) | features | corpus (size) | peak RSS MB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
for r in rows:
    print("| " + " | ".join(r) + " |")
