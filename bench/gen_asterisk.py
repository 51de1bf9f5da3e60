#!/usr/bin/env python3
"""A busy Asterisk Master.csv (cdr_csv), deterministic for a seed, for timing the reader.

    bench/gen_asterisk.py ROWS CALLS_PER_HOUR [--layout 21|18|16] [--seed N] > Master.csv

Calls start at random (Poisson) times CALLS_PER_HOUR an hour; rows are written in hangup order
(by `end`), as Asterisk writes them. The mix: ring groups of Local channels
(`Local/1001@from-internal-…;1`/`;2`, each half its own row), follow-me (`Local/FMGL-…`, with a
`;2` half whose `;1` half wrote no row, like FreePBX's `FMPR`), direct calls then VoiceMail,
BUSY, answered and unanswered, outgoing calls and internal calls. `--layout 21` writes
`newcdrcolumns` (peeraccount, linkedid, sequence); 18 adds only uniqueid and userfield, so the
rows of a call are joined by uniqueid and channel names; 16 has neither.
"""

import argparse
import heapq
import random
import sys
import time

EXTENSIONS = [str(1001 + i) for i in range(60)]
GROUPS = {str(600 + g): EXTENSIONS[g * 6:(g + 1) * 6] for g in range(10)}
START = 1_706_360_000  # 2024-01-27, UTC seconds


class Counters:
    def __init__(self):
        self.chan = 0
        self.uid = 0
        self.seq = 0

    def channel(self, tech_name):
        self.chan += 1
        return f"{tech_name}-{self.chan & 0xFFFFFFFF:08x}"

    def local(self, name):
        self.chan += 1
        return f"Local/{name}-{self.chan & 0xFFFFFFFF:08x}"

    def uniqueid(self, t):
        self.uid += 1
        return f"{t}.{self.uid}"


def fmt(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) if t is not None else ""


def quote(v):
    return '"' + str(v).replace('"', '""') + '"'


def row(layout, c, src, dst, ctx, clid, chan, dstchan, app, data, start, answer, end,
        disp, uid, linkedid):
    billsec = end - answer if answer is not None else 0
    fields = [quote(""), quote(src), quote(dst), quote(ctx), quote(clid), quote(chan),
              quote(dstchan), quote(app), quote(data), quote(fmt(start)), quote(fmt(answer)),
              quote(fmt(end)), str(end - start), str(billsec), quote(disp),
              quote("DOCUMENTATION")]
    if layout >= 18:
        fields += [quote(uid), quote("")]
    if layout >= 21:
        c.seq += 1
        fields += [quote(""), quote(linkedid), str(c.seq)]
    return end, ",".join(fields)


def call(rng, c, layout, t):
    """The rows of one call starting at t, as (end, line) pairs."""
    kind = rng.random()
    rows = []
    caller = f"0{rng.randrange(30_000_000, 89_999_999)}"
    clid = f'"Caller {caller[-3:]}" <{caller}>'
    uid = c.uniqueid(t)

    def add(*args, u=None):
        rows.append(row(layout, c, *args, uid if u is None else u, uid))

    if kind < 0.30:
        # ring group of Local channels, every member its own ;1 and ;2 row
        group = rng.choice(list(GROUPS))
        trunk = c.channel("SIP/trunk")
        ring = rng.randrange(5, 40)
        answered = rng.random() < 0.6
        winner = rng.choice(GROUPS[group]) if answered else None
        for m in GROUPS[group]:
            local = c.local(f"{m}@from-internal")
            phone = c.channel(f"SIP/{m}")
            ans = t + ring if m == winner else None
            end = t + ring + rng.randrange(10, 300) if ans else t + ring
            disp = "ANSWERED" if ans else "NO ANSWER"
            data = "&".join(f"Local/{x}@from-internal" for x in GROUPS[group]) + ",25,tr"
            add(caller, group, "ext-group", clid, trunk, local + ";1", "Dial", data, t, ans,
                end, disp)
            add(caller, m, "from-internal", clid, local + ";2", phone, "Dial",
                f"SIP/{m},,tr", t, ans, end, disp, u=c.uniqueid(t))
        if not answered:
            vm_end = t + ring + rng.randrange(5, 60)
            add(caller, group, "ext-local", clid, trunk, "", "VoiceMail",
                f"{GROUPS[group][0]}@default,u", t + ring, t + ring, vm_end, "ANSWERED")
    elif kind < 0.42:
        # follow-me: a FMGL half with rows, and a ;2 half whose ;1 wrote no row (FMPR)
        ext = rng.choice(EXTENSIONS)
        trunk = c.channel("SIP/trunk")
        ring = rng.randrange(5, 30)
        answered = rng.random() < 0.5
        ans = t + ring if answered else None
        end = t + ring + (rng.randrange(10, 200) if answered else 0)
        disp = "ANSWERED" if answered else "NO ANSWER"
        fmgl = c.local(f"FMGL-{ext}@ext-findmefollow")
        add(caller, ext, "ext-findmefollow", clid, trunk, fmgl + ";1", "Dial",
            f"Local/FMGL-{ext}@ext-findmefollow,20", t, ans, end, disp)
        orphan = c.local(f"{ext}@from-internal")
        add(caller, ext, "from-internal", clid, orphan + ";2", c.channel(f"SIP/{ext}"),
            "Dial", f"SIP/{ext},,tr", t + 1, ans, end, disp, u=c.uniqueid(t))
    elif kind < 0.70:
        # direct call; unanswered ones may go to voicemail, some are busy
        ext = rng.choice(EXTENSIONS)
        trunk = c.channel("SIP/trunk")
        ring = rng.randrange(3, 30)
        r = rng.random()
        if r < 0.5:
            add(caller, ext, "from-trunk", clid, trunk, c.channel(f"SIP/{ext}"), "Dial",
                f"SIP/{ext},20", t, t + ring, t + ring + rng.randrange(10, 600), "ANSWERED")
        else:
            disp = "BUSY" if r < 0.6 else "NO ANSWER"
            add(caller, ext, "from-trunk", clid, trunk, c.channel(f"SIP/{ext}"), "Dial",
                f"SIP/{ext},20", t, None, t + ring, disp)
            if rng.random() < 0.6:
                add(caller, ext, "from-trunk", clid, trunk, "", "VoiceMail",
                    f"{ext}@default,u", t + ring, t + ring, t + ring + rng.randrange(5, 60),
                    "ANSWERED")
    elif kind < 0.90:
        # outgoing call from an extension
        ext = rng.choice(EXTENSIONS)
        number = f"0{rng.randrange(300_000_000, 899_999_999)}"
        answered = rng.random() < 0.7
        ring = rng.randrange(3, 30)
        add(ext, number, "from-internal", f'"Ext {ext}" <{ext}>', c.channel(f"SIP/{ext}"),
            c.channel("SIP/trunk"), "Dial", f"SIP/trunk/{number},300", t,
            t + ring if answered else None,
            t + ring + (rng.randrange(10, 900) if answered else 0),
            "ANSWERED" if answered else "NO ANSWER")
    else:
        # internal call
        a, b = rng.sample(EXTENSIONS, 2)
        answered = rng.random() < 0.6
        ring = rng.randrange(3, 30)
        add(a, b, "from-internal", f'"Ext {a}" <{a}>', c.channel(f"SIP/{a}"),
            c.channel(f"SIP/{b}"), "Dial", f"SIP/{b},20", t, t + ring if answered else None,
            t + ring + (rng.randrange(10, 300) if answered else 0),
            "ANSWERED" if answered else "NO ANSWER")
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rows", type=int)
    p.add_argument("calls_per_hour", type=float)
    p.add_argument("--layout", type=int, choices=(16, 18, 21), default=21)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    c = Counters()
    out = sys.stdout
    heap = []  # (end, order, line): rows waiting for their hangup
    order = 0
    written = 0
    t = float(START)
    while written < a.rows:
        t += rng.expovariate(a.calls_per_hour / 3600.0)
        start = int(t)
        # the rows that hung up by now are written
        while heap and heap[0][0] <= start and written < a.rows:
            out.write(heapq.heappop(heap)[2] + "\n")
            written += 1
        for end, line in call(rng, c, a.layout, start):
            heapq.heappush(heap, (end, order, line))
            order += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
