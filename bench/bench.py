#!/usr/bin/env python3
"""`make bench`: speed and memory of unanswered, each as a ratio against a baseline measured
in the same run on the same machine (never asserted; printed for the notes).

- decide: `explain --json` over generated journals vs. reading the same CSV with the csv crate
  (examples/csv_baseline.rs); peak memory at 10x the rows (streaming: should stay flat).
- render: per-call mails of `run --dry-run` vs. raw libxslt (bench/xslt_baseline.c) on one
  thread, and in as many processes at once as there are cores (what the cores give together).
- send: `run` of 1,000 per-call mails to a local SMTP server (tests/smtp/server.py) vs. the
  same server fed by Python's smtplib on one connection.
"""
import calendar, os, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# BENCH_PROFILE: the cargo profile built (`make bench BENCH_PROFILE=profiling` reuses that build)
PROFILE_DIR = os.path.join(ROOT, "target", os.environ.get("BENCH_PROFILE", "release"))
BIN = os.path.join(PROFILE_DIR, "unanswered")
BASE = os.path.join(PROFILE_DIR, "examples/csv_baseline")
INGEST = os.path.join(PROFILE_DIR, "examples/ingest_only")


def timed(cmd, **kw):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed: {p.stderr.decode()[:500]}")
    return dt, after.ru_maxrss  # KiB, max over all children so far


def peak(cmd):
    # a fresh process tree for a clean peak: run through /usr/bin/env in a subprocess that reports
    code = (
        "import resource,subprocess,sys;"
        "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code] + cmd, capture_output=True, text=True)
    return int(out.stdout.strip())


def raw_xslt(tmp):
    """Raw libxslt (bench/xslt_baseline.c) on the per-call document: a function that measures
    documents per second on one thread, or with `copies` processes at once (their documents
    over the wall time of all); None without a C compiler or the libxslt headers."""
    import re
    exe = os.path.join(tmp, "xslt_baseline")
    cflags = subprocess.run(["pkg-config", "--cflags", "--libs", "libxslt", "libexslt"],
                            capture_output=True, text=True)
    if cflags.returncode != 0 or subprocess.run(
            ["cc", "-O2", "-o", exe, os.path.join(ROOT, "bench/xslt_baseline.c")] + cflags.stdout.split()).returncode:
        print("  (no C compiler or libxslt headers: raw libxslt baseline skipped)")
        return None
    # a per-call document shaped like src/render/document.rs makes, with the English strings
    ex = open(os.path.join(ROOT, "xsl/example-digest.xml"), encoding="utf-8").read()
    en = open(os.path.join(ROOT, "languages/en.xml"), encoding="utf-8").read()
    strings = "".join(m.group(0) + "\n" for m in re.finditer(r'<string key="[^"]*">.*?</string>', en, re.S))
    ex = re.sub(r'<strings language="de">.*?</strings>', '<strings language="en">\n' + strings + "</strings>", ex, flags=re.S)
    ex = ex.replace('mode="digest"', 'mode="per-call"').replace('<calls count="2">', '<calls count="1">')
    ex = re.sub(r'<call chain="T23".*?</call>\s*', "", ex, flags=re.S)
    doc = os.path.join(tmp, "percall.xml")
    open(doc, "w", encoding="utf-8").write(ex)
    xsl = [os.path.join(ROOT, "xsl", f) for f in ("mail.html.xsl", "mail.txt.xsl", "subject.xsl")]

    def rate(copies, docs=400):
        t0 = time.perf_counter()
        ps = [subprocess.Popen([exe, str(docs), doc] + xsl, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) for _ in range(copies)]
        if any(p.wait() != 0 for p in ps):
            return None
        return copies * docs / (time.perf_counter() - t0)
    return rate if rate(1, 10) else None


def main():
    tmp = tempfile.mkdtemp(prefix="unanswered-bench-")
    cfg = os.path.join(tmp, "unanswered.toml")
    users = os.path.join(tmp, "users.csv")
    with open(users, "w") as f:
        f.write("user,name,email,lines\n")
        for i in range(200, 600):
            f.write(f"u{i},User {i},u{i}@example.com,{i}\n")
    # the journals are from 2025 and --now is 2030: max_age_hours = 0, or every call is too_old
    with open(cfg, "w") as f:
        f.write('time_zone = "UTC"\n[notify]\nmax_age_hours = 0\n[directory]\nusers = "users.csv"\n[state]\npath = "state.db"\n')
    best_of = int(os.environ.get("BENCH_REPEAT", "3"))
    shapes = [
        ("gen.py (sparse)", "gen.py", [200_000, 1_000_000]),
        ("gen_busy.py (busy day)", "gen_busy.py", [50_000, 200_000, 1_000_000]),
    ]
    only = os.environ.get("BENCH_MAX_ROWS")
    print(f"decide (explain --json), against reading the same CSV with the csv crate; "
          f"best of {best_of}, baseline and candidate back to back; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores:")
    for label, gen, sizes in shapes:
        print(f"  {label}:")
        peaks = {}
        per_row = {}
        for n in sizes:
            if only and n > int(only):
                continue
            j = os.path.join(tmp, f"{gen}-{n}.csv")
            subprocess.run([sys.executable, os.path.join(ROOT, "bench", gen), str(n), j], check=True)
            cmd = [BIN, "explain", "--json", "--config", cfg, "--now", "2030-01-01T00:00:00Z", j]
            tb = tu = float("inf")
            for _ in range(best_of):
                tb = min(tb, timed([BASE, j])[0])
                tu = min(tu, timed(cmd)[0])
            mem = peak(cmd)
            memb = peak([BASE, j])
            peaks[n] = mem
            per_row[n] = tu / n
            print(f"    {n:>9} rows: {tu:6.2f} s = {tu / tb:5.1f} x baseline ({tb:.2f} s); "
                  f"{tu / n * 1e6:5.2f} us/row; peak {mem / 1024:.0f} MiB (baseline {memb / 1024:.0f} MiB)")
        if 200_000 in peaks and 1_000_000 in peaks:
            print(f"    peak at 1M rows / peak at 200k rows: {peaks[1_000_000] / peaks[200_000]:.2f} (goal <= 1.5)")
        if len(per_row) > 1:
            lo, hi = min(per_row), max(per_row)
            print(f"    time per row at {hi} rows / at {lo} rows: {per_row[hi] / per_row[lo]:.2f} (linear: 1.0)")
    print("Asterisk Master.csv (bench/gen_asterisk.py, 21 columns, rows in hangup order), "
          "reading alone (examples/ingest_only) and explain --json, against the csv read:")
    acfg = os.path.join(tmp, "asterisk.toml")
    with open(acfg, "w") as f:
        f.write('time_zone = "UTC"\n[notify]\nmax_age_hours = 0\n[directory]\nusers = "users.csv"\n')
    for n, per_hour in [(200_000, 2_000), (200_000, 20_000)]:
        if only and n > int(only):
            continue
        j = os.path.join(tmp, f"asterisk-{n}-{per_hour}.csv")
        with open(j, "w") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen_asterisk.py"), str(n), str(per_hour)],
                           stdout=f, check=True)
        tb = tr = te = float("inf")
        for _ in range(best_of):
            tb = min(tb, timed([BASE, j])[0])
            tr = min(tr, timed([INGEST, j])[0])
            te = min(te, timed([BIN, "explain", "--json", "--format", "asterisk-cdr", "--config", acfg,
                                "--now", "2030-01-01T00:00:00Z", j])[0])
        print(f"  {n:>9} rows, {per_hour} calls/hour: read {tr:.2f} s = {tr / tb:.1f} x, explain {te:.2f} s = "
              f"{te / tb:.1f} x the csv read ({tb:.2f} s); {te / n * 1e6:.2f} us/row")
    print("run --dry-run: a first run over a large export, digest mode (digests of at most 50 calls)")
    # A month of calls (100k entries, calls 0-120 s apart), run an hour after its last call with
    # the default max_age_hours = 24: only the last day mails, the older calls are too_old.
    cfg_first = os.path.join(tmp, "first.toml")
    with open(cfg_first, "w") as f:
        f.write('time_zone = "UTC"\n[directory]\nusers = "users.csv"\n[state]\npath = "first.db"\n')
    month = os.path.join(tmp, "gen.py-100000-month.csv")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen.py"), "100000", month, "120"], check=True)
    last = open(month, encoding="utf-8").read().rstrip("\n").rsplit("\n", 1)[1].split(",")[3]
    first_now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(
        calendar.timegm(time.strptime(last, "%Y-%m-%d %H:%M:%S")) + 3600))
    runs = [
        (f"100000 rows over a month, max_age_hours = 24 (default), --now {first_now}", cfg_first, month, first_now),
        ("100000 rows, max_age_hours = 0 (the limit off: every call mails)", cfg,
         os.path.join(tmp, "gen.py-100000.csv"), "2030-01-01T00:00:00Z"),
    ]
    for label, c, j, now in runs:
        if not os.path.exists(j):
            subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen.py"), "100000", j], check=True)
        cmd = [BIN, "run", "--dry-run", "--config", c, "--now", now, j]
        out = subprocess.run(cmd, capture_output=True)
        mails = out.stdout.count(b"\nFrom unanswered@localhost ") + out.stdout.startswith(b"From unanswered@localhost ")
        tr, _ = timed(cmd)
        tb = timed([BASE, j])[0]
        mem = peak(cmd)
        print(f"  {label}:\n    {mails} mails in {tr:6.2f} s = {tr / tb:5.1f} x baseline ({tb:.2f} s), "
              f"peak {mem / 1024:.0f} MiB (the verdicts that mail someone are held for the digests)")
    print("render (run --dry-run, one mail per call and recipient):")
    j = os.path.join(tmp, "j5000.csv")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench/gen.py"), "5000", j], check=True)
    cfg2 = os.path.join(tmp, "percall.toml")
    with open(cfg2, "w") as f:
        f.write('time_zone = "UTC"\nmode = "per-call"\n[notify]\nmax_age_hours = 0\n[directory]\nusers = "users.csv"\n')
    out = subprocess.run([BIN, "run", "--dry-run", "--config", cfg2, "--now", "2030-01-01T00:00:00Z", j],
                         capture_output=True)
    mails = out.stdout.count(b"\nFrom unanswered@localhost ") + out.stdout.startswith(b"From unanswered@localhost ")
    # best of N, run, explain and raw libxslt back to back (the machine may be shared)
    raw = raw_xslt(tmp)
    cores = os.cpu_count() or 1
    td = te = float("inf")
    one = many = 0.0
    for _ in range(best_of):
        td = min(td, timed([BIN, "run", "--dry-run", "--config", cfg2, "--now", "2030-01-01T00:00:00Z", j])[0])
        te = min(te, timed([BIN, "explain", "--json", "--config", cfg2, "--now", "2030-01-01T00:00:00Z", j])[0])
        if raw:
            one = max(one, raw(1) or 0.0)
            many = max(many, raw(cores) or 0.0)
    print(f"  best of {best_of}, load average {os.getloadavg()[0]:.1f}")
    print(f"  {mails} mails in {td:.2f} s = {mails / td:,.0f} mails/s; {td / te:.1f} x explain of the same file ({te:.2f} s)")
    if raw:
        render_rate = mails / max(td - te, 1e-9)
        print(f"  raw libxslt (bench/xslt_baseline.c, the three stylesheets on one per-call document): "
              f"{one:,.1f} documents/s on one thread, {many:,.1f} with {cores} processes at once "
              f"({many / max(one, 1e-9):.2f} x one: what this machine's cores give together)")
        print(f"  render alone {render_rate:,.1f} mails/s = {render_rate / (cores * one):.2f} x ({cores} cores x raw), "
              f"{render_rate / max(many, 1e-9):.2f} x ({cores} raw processes at once)")
    print("send (1,000 per-call mails to tests/smtp/server.py on loopback):")
    srv = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/smtp/server.py"), "--port", "0",
                            "--exit-on-stdin-eof"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    port = int(srv.stdout.readline().split()[1])
    j = os.path.join(tmp, "send.csv")
    with open(j, "w") as f:
        f.write("u8sConnectionID,stStartTime,stStopTime,iOrigin,u8sLineNumber,u8sPhoneNumber,TrackerLastCall\n")
        for i in range(1000):
            f.write(f"s{i},2026-11-26 08:{i // 60 % 60:02}:{i % 60:02},2026-11-26 08:{i // 60 % 60:02}:{i % 60:02},0,{200 + i % 200},0301{i:06},1\n")
    cfg3 = os.path.join(tmp, "send.toml")
    with open(cfg3, "w") as f:
        f.write(f'time_zone = "UTC"\nmode = "per-call"\n[exceptions]\nmin_ring_seconds = 0\n[notify]\nmax_age_hours = 0\n[directory]\nusers = "users.csv"\n'
                f'[state]\npath = "send.db"\n[smtp]\nhost = "127.0.0.1"\nport = {port}\ntls = "none"\n')
    dry, _ = timed([BIN, "run", "--dry-run", "--config", cfg3, "--now", "2030-01-01T00:00:00Z", j])
    ts_, _ = timed([BIN, "run", "--config", cfg3, "--now", "2030-01-01T00:00:00Z", j])
    lt = float(subprocess.run([os.path.join(PROFILE_DIR, "examples/lettre_pooled"), str(port), "200"],
                              capture_output=True, text=True, check=True).stdout) * 5
    srv.terminate()
    print(f"  unanswered run: {ts_:.2f} s = {1000 / ts_:,.0f} mails/s, of which render+decide (dry run) {dry:.2f} s")
    print(f"  lettre's pooled SmtpTransport (200 mails, scaled to 1,000): {lt:.2f} s = {1000 / lt:,.0f} mails/s"
          f" -> unanswered is {lt / ts_:.1f} x faster")


if __name__ == "__main__":
    main()
