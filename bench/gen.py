#!/usr/bin/env python3
"""Writes a time-ordered native journal of about N entries for benchmarks: calls of 1 to 5
entries (group calls, cyclic distribution, twins), 200 users on lines 200-399, a tenth
answered. Usage: gen.py N OUT.csv [GAP]: calls start 0 to GAP seconds apart (default 3, about 18
hours for 100k entries; 120 spreads 100k entries over about a month)."""
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
gap = int(sys.argv[3]) if len(sys.argv) > 3 else 3
rnd = random.Random(42)
cols = "u8sConnectionID,u8sTrackerID,stStartTime,stStopTime,stConnectTime,iOrigin,u8sLineNumber,u8sPhoneNumber,u8sContactName,TrackerLastCall\n"
t = 1_764_000_000  # 2025-11-24
rows = 0
call = 0
with open(out, "w") as f:
    f.write(cols)
    while rows < n:
        call += 1
        t += rnd.randint(0, gap)
        k = rnd.choice([1, 1, 1, 2, 3, 5])
        caller = f"0{rnd.randint(30, 89)}{rnd.randint(1000000, 9999999)}"
        answered = rnd.random() < 0.1
        for i in range(k):
            rows += 1
            start = t + i * 2
            stop = start + rnd.randint(3, 40)
            conn = ""
            if answered and i == k - 1:
                conn = fmt = start + 2
            def ts(x):
                import time
                return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(x))
            f.write(
                f"c{rows},T{call},{ts(start)},{ts(stop)},{ts(conn) if conn else ''},0,"
                f"{200 + rnd.randint(0, 199)},{caller},{'Kunde ' + str(call % 977) if call % 3 else ''},{1 if i == k - 1 else 0}\n"
            )
