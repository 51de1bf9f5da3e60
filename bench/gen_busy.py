#!/usr/bin/env python3
"""Writes the first N entries of a busy call centre's day as a native journal, rows in time
order (by start): about 2.2 entries per call, 400 users on lines 200-599 in ring groups of 3 to 8,
untracked redirects (a line rings, stops, the next one is rung within 10 s), outgoing calls,
about 12 calls a second at the busiest hour. Usage: gen_busy.py N OUT.csv

The same N always gives the same file; a longer file starts with the rows of a shorter one
(the day goes on), so the sizes show how the cost grows with the length of the journal."""
import heapq
import random
import sys
import time

n, out = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(7)
cols = ("u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,u8sLineNumber,"
        "u8sPhoneNumber,u8sRedirectingNumber,u8sContactName,TrackerLastCall\n")
groups = []
line = 200
while line < 600:
    k = min(rnd.randint(3, 8), 600 - line)
    groups.append([str(x) for x in range(line, line + k)])
    line += k
callers = [f"0{rnd.randint(30, 89)}{rnd.randint(1000000, 9999999)}" for _ in range(20000)]
day = 1_764_028_800 + 7 * 3600  # 2025-11-25 07:00 UTC

_cache = {}


def ts(x):
    s = _cache.get(x)
    if s is None:
        s = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(x))
        if len(_cache) > 4096:
            _cache.clear()
        _cache[x] = s
    return s


def calls():
    """(start, rows of one call); starts increase."""
    t = float(day)
    call = 0
    while True:
        call += 1
        # the busy hours: about 12 calls a second, a little less at the edges of the day
        t += rnd.expovariate(12.0)
        start = int(t)
        caller = rnd.choice(callers) if rnd.random() < 0.9 else ""
        kind = rnd.random()
        rows = []
        if kind < 0.12:  # outgoing
            rows.append((start, start + rnd.randint(5, 300), start + 3, 1, rnd.choice(rnd.choice(groups)), "", "", "", 1))
        elif kind < 0.60:  # direct call to one line, tracked
            stop = start + rnd.randint(3, 40)
            conn = start + 2 if rnd.random() < 0.6 else None
            rows.append((start, stop, conn, 0, rnd.choice(rnd.choice(groups)), f"T{call}", "", caller, 1))
        elif kind < 0.80:  # ring group: every line of the group at once, tracked
            g = rnd.choice(groups)
            stop = start + rnd.randint(5, 30)
            who = rnd.randrange(len(g)) if rnd.random() < 0.5 else -1
            for i, ln in enumerate(g):
                rows.append((start, stop, stop - 1 if i == who else None, 0, ln, f"T{call}", "", caller,
                             1 if i == len(g) - 1 else 0))
        else:  # untracked redirects: 1 to 3 hops, each within 10 s of the stop before it
            g = rnd.choice(groups)
            at = start
            prev = None
            for hop in range(rnd.randint(2, 3)):
                ln = g[hop % len(g)]
                stop = at + rnd.randint(5, 25)
                rows.append((at, stop, None, 0, ln, "", prev or "", caller, 0))
                prev = ln
                at = stop + rnd.randint(0, 10)
        yield start, call, rows


with open(out, "w") as f:
    f.write(cols)
    written = 0
    pending = []  # (start, seq, row text): a row is written once no earlier row can come
    seq = 0
    name = {}
    for start, call, rows in calls():
        while pending and pending[0][0] < start:
            f.write(heapq.heappop(pending)[2])
            written += 1
            if written >= n:
                sys.exit(0)
        for (s, stop, conn, origin, ln, tracker, redirect, caller, last) in rows:
            seq += 1
            contact = name.get(caller)
            if contact is None:
                contact = name[caller] = f"Kunde {len(name) % 977}" if len(name) % 3 else ""
            row = (f"c{seq},{tracker},{ts(s)},{ts(stop)},{ts(conn) if conn else ''},{origin},{ln},"
                   f"{caller},{redirect},{contact},{last}\n")
            heapq.heappush(pending, (s, seq, row))
