#!/usr/bin/env python3
"""bigtree: fsrelay on a tree of millions of files, next to lsyncd and a single rsync -a.

Builds a synthetic tree (--dirs, --files, --depth; default 200,000 directories and 1,000,000 files), starts
a real rsync daemon on 127.0.0.1 with auth, and measures:

  watch_ms         time until every directory is watched (the daemon's "watching ...: N directories in X ms")
  rss / hwm        the daemon's VmRSS once watching, and its peak (VmHWM)
  bytes_per_dir    (RSS on the big tree - RSS on a one-directory tree) / directories
  full_sync_s      fsrelay -r to an empty target, until "ready:", against `rsync -a --delete` of the same tree
  latency_ms       one new file deep in the big tree, until it is on the target (median of --latency-runs)
  events           --events close-write events (rewrites of existing files); RSS before, peak, and after
                   the target has caught up, against the idle figure

and for lsyncd (default.rsync, delay 0) the time until "Startup ... finished" (its watches plus its own
initial rsync of the whole tree), its RSS, and the same one-file latency.

Python 3 standard library only. Everything lives in one temp dir that is removed on exit (unless --keep-tree
names a tree to reuse). fs.inotify.max_user_watches is raised only when the tree needs more watches than it
allows, and put back to its old value however the run ends.

  bench/bigtree.py --quick                       # 2,000 dirs, 10,000 files: a minute
  bench/bigtree.py                               # the issue's default: 200,000 dirs, 1,000,000 files
  bench/bigtree.py --dirs 1000000 --files 2000000  # the opt-in million-directory run
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SYSCTL = "/proc/sys/fs/inotify/max_user_watches"


def log(*a):
    print("bigtree:", *a, file=sys.stderr, flush=True)


def now():
    return time.monotonic()


# --- the tree -------------------------------------------------------------------------------------------

def fanout_for(dirs, depth):
    f = 2
    while sum(f ** i for i in range(1, depth + 1)) < dirs:
        f += 1
    return f


def make_tree(src, dirs, files, depth):
    """Directories breadth first, `fanout` per parent, at most `depth` levels; files spread round robin.
    Returns the list of directories (relative) and the deepest one."""
    fan = fanout_for(dirs, depth)
    rels = []
    frontier = [""]
    while len(rels) < dirs and frontier:
        nxt = []
        for parent in frontier:
            for i in range(fan):
                if len(rels) >= dirs:
                    break
                rel = f"{parent}/d{i}" if parent else f"d{i}"
                os.mkdir(os.path.join(src, rel))
                rels.append(rel)
                nxt.append(rel)
        frontier = nxt
    per = max(1, files // max(1, len(rels)))
    written = 0
    payload = b"x" * 16
    for rel in rels:
        base = os.path.join(src, rel)
        for j in range(per):
            if written >= files:
                break
            fd = os.open(f"{base}/f{j}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, payload)
            os.close(fd)
            written += 1
    return rels


# --- processes and /proc ------------------------------------------------------------------------------

def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0]) * 1024
    except OSError:
        pass
    return out


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def stop(proc, name):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        log(f"{name} did not stop within 30 s; killing it")
        proc.kill()
        proc.wait()


def wait_log(path, pattern, proc, timeout, name):
    """Waits until pattern matches a line of the log at path; returns the match."""
    rx = re.compile(pattern)
    deadline = now() + timeout
    while now() < deadline:
        try:
            with open(path, errors="replace") as f:
                for line in f:
                    m = rx.search(line)
                    if m:
                        return m
        except FileNotFoundError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"bigtree: {name} exited ({proc.returncode}) before logging /{pattern}/; see {path}")
        time.sleep(0.02)
    raise SystemExit(f"bigtree: {name} did not log /{pattern}/ within {timeout} s; see {path}")


def wait_idle(pid, quiet_s=2.0, timeout=3600):
    """Waits until the process has used no CPU for quiet_s."""
    deadline = now() + timeout
    last = cpu_ticks(pid)
    since = now()
    while now() < deadline:
        time.sleep(0.25)
        cur = cpu_ticks(pid)
        if cur != last:
            last, since = cur, now()
        elif now() - since >= quiet_s:
            return
    raise SystemExit("bigtree: the daemon never went idle")


def wait_in_sync(binary, conf, timeout=3600):
    """Waits until `fsrelay status` says every target is in sync (exit 0): nothing queued, in flight or in a
    full sync. A daemon whose own CPU is quiet may still be waiting on an rsync child (an overflow's full
    sync of the whole tree), so CPU alone does not tell that the events are dealt with."""
    deadline = now() + timeout
    while now() < deadline:
        r = subprocess.run([binary, "status", "-o", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            return
        time.sleep(0.5)
    raise SystemExit("bigtree: the daemon never got in sync")


def wait_file(path, content, timeout=120):
    deadline = now() + timeout
    while now() < deadline:
        try:
            with open(path, "rb") as f:
                if f.read() == content:
                    return True
        except OSError:
            pass
        time.sleep(0.001)
    return False


class RsyncDaemon:
    def __init__(self, tmp):
        self.tmp = tmp
        self.password = secrets.token_hex(16)
        self.password_file = os.path.join(tmp, "rsync.password")
        secrets_file = os.path.join(tmp, "rsyncd.secrets")
        for path, text in ((secrets_file, f"bench:{self.password}\n"), (self.password_file, self.password + "\n")):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, text.encode())
            os.close(fd)
        self.modules = {}
        self.conf = os.path.join(tmp, "rsyncd.conf")
        self.secrets_file = secrets_file
        self.proc = None
        self.port = None

    def module(self, name):
        path = os.path.join(self.tmp, "target-" + name)
        if os.path.exists(path):
            shutil.rmtree(path)
        os.mkdir(path)
        self.modules[name] = path
        return path

    def start(self):
        lines = [f"lock file = {self.tmp}/rsyncd.lock", "reverse lookup = no"]
        if os.geteuid() == 0:
            lines += [f"uid = {os.getuid()}", f"gid = {os.getgid()}"]
        for name, path in self.modules.items():
            lines += [f"[{name}]", f"    path = {path}", "    read only = false", "    use chroot = no",
                      "    auth users = bench", f"    secrets file = {self.secrets_file}",
                      "    hosts allow = 127.0.0.1"]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        for _ in range(5):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            self.proc = subprocess.Popen(["rsync", "--daemon", "--no-detach", f"--config={self.conf}",
                                          "--address=127.0.0.1", f"--port={port}"],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    self.port = port
                    return
                except OSError:
                    time.sleep(0.05)
            stop(self.proc, "rsync daemon")
        raise SystemExit("bigtree: could not start rsync --daemon")

    def url(self, module):
        return f"rsync://bench@127.0.0.1:{self.port}/{module}/"


def fsrelay_conf(path, watch, d, module, state, fail_log):
    q = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    with open(path, "w") as f:
        f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<head version="2.5">
    <host hostip="localhost" port="8008"></host>
    <debug start="false"/>
    <fileSystem xfs="false"/>
    <filter start="false"></filter>
    <inotify>
        <delete start="true"/><createFolder start="true"/><createFile start="false"/>
        <closeWrite start="true"/><moveFrom start="true"/><moveTo start="true"/>
        <attrib start="false"/><modify start="false"/>
    </inotify>
    <sersync>
        <localpath watch="{q(watch)}"><remote ip="127.0.0.1" name="{q(module)}"/></localpath>
        <rsync>
            <commonParams params="-a"/>
            <auth start="true" users="bench" passwordfile="{q(d.password_file)}"/>
            <userDefinedPort start="true" port="{d.port}"/>
            <timeout start="false" time="100"/>
            <ssh start="false"/>
        </rsync>
        <failLog path="{q(fail_log)}" timeToExecute="60"/>
        <crontab start="false" schedule="600"><crontabfilter start="false"></crontabfilter></crontab>
        <plugin start="false" name="command"/>
    </sersync>
    <fsrelay><state dir="{q(state)}"/></fsrelay>
</head>
""")


def lsyncd_conf(path, watch, d, module, logfile):
    lua = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    with open(path, "w") as f:
        f.write(f"""settings {{ logfile = {lua(logfile)}, nodaemon = true, insist = false }}
sync {{
    default.rsync,
    source = {lua(watch)},
    target = {lua(f"bench@127.0.0.1::{module}")},
    delay = 0,
    rsync = {{ archive = true, password_file = {lua(d.password_file)}, _extra = {{ {lua(f"--port={d.port}")} }} }},
}}
""")


class Run:
    """One daemon (fsrelay or lsyncd) on one tree; stopped by its PID on exit."""

    def __init__(self, argv, logfile, name):
        self.name = name
        self.logfile = logfile
        self.err = open(logfile + ".stderr", "w")
        self.t0 = now()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err)

    def stop(self):
        stop(self.proc, self.name)
        self.err.close()


# --- the measurements ---------------------------------------------------------------------------------

def latency(src, dst, rel_dir, runs, tag):
    out = []
    for i in range(runs):
        name = f"{rel_dir}/latency-{tag}-{i}"
        content = f"change {i}\n".encode()
        t0 = now()
        with open(os.path.join(src, name), "wb") as f:
            f.write(content)
        if not wait_file(os.path.join(dst, name), content):
            raise SystemExit(f"bigtree: {name} did not reach the target within 120 s")
        out.append((now() - t0) * 1000)
        time.sleep(0.2)
    return out


def burst(src, rels, events, distinct):
    """events close-writes, spread over `distinct` existing files (f0 of the first directories)."""
    targets = [os.path.join(src, r, "f0") for r in rels[:distinct]]
    payload = b"y" * 16
    done = 0
    t0 = now()
    while done < events:
        for p in targets:
            if done >= events:
                break
            fd = os.open(p, os.O_WRONLY | os.O_TRUNC)
            os.write(fd, payload)
            os.close(fd)
            done += 1
    return now() - t0


def fsrelay_run(args, tmp, d, src, module, tag, full_sync):
    state = os.path.join(tmp, f"state-{tag}")
    os.makedirs(state, exist_ok=True)
    conf = os.path.join(tmp, f"fsrelay-{tag}.xml")
    fsrelay_conf(conf, src, d, module, state, os.path.join(tmp, f"fail-{tag}.log"))
    # fsrelay logs to stderr; Run keeps it in <logfile>.stderr.
    argv = [args.binary] + (["-r"] if full_sync else []) + ["-o", conf]
    run = Run(argv, os.path.join(tmp, f"fsrelay-{tag}.log"), f"fsrelay ({tag})")
    run.logfile += ".stderr"
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--dirs", type=int, default=200_000)
    p.add_argument("--files", type=int, default=1_000_000)
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--events", type=int, default=1_000_000, help="close-write events for the memory test")
    p.add_argument("--distinct", type=int, default=100_000, help="files the events are spread over")
    p.add_argument("--latency-runs", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="2,000 dirs, 10,000 files, 20,000 events")
    p.add_argument("--skip", default="", help="comma list of: fullsync,lsyncd,events,latency")
    p.add_argument("--binary", default=None, help="fsrelay binary (default build/stage/bin/fsrelay, else build/fsrelay)")
    p.add_argument("--tmp", default=None, help="parent of the temp dir (default $TMPDIR or /tmp)")
    p.add_argument("--label", default="", help="a word for the result file name (e.g. baseline)")
    p.add_argument("--out", default=None, help="results directory (default bench/results)")
    args = p.parse_args()
    if args.quick:
        args.dirs, args.files, args.events, args.distinct = 2_000, 10_000, 20_000, 2_000
    skip = set(filter(None, args.skip.split(",")))
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    if args.binary is None:
        for cand in ("build/stage/bin/fsrelay", "build/fsrelay"):
            if os.access(os.path.join(repo, cand), os.X_OK):
                args.binary = os.path.join(repo, cand)
                break
    if not args.binary:
        raise SystemExit("bigtree: no fsrelay binary; build first or pass --binary")
    if "lsyncd" not in skip and not shutil.which("lsyncd"):
        log("lsyncd not installed (apt-get install lsyncd): skipping it")
        skip.add("lsyncd")

    tmp = tempfile.mkdtemp(prefix="fsrelay-bigtree.", dir=args.tmp)
    old_limit = int(open(SYSCTL).read())
    procs = []

    daemon = []  # the rsync daemon, once started: stopped with the rest, whatever ends the run

    def restore():
        for r in procs:
            r.stop()
        for dd in daemon:
            if dd.proc is not None and dd.proc.poll() is None:
                stop(dd.proc, "rsync daemon")
        if int(open(SYSCTL).read()) != old_limit:
            with open(SYSCTL, "w") as f:
                f.write(str(old_limit))
            log(f"fs.inotify.max_user_watches back to {old_limit}")
        shutil.rmtree(tmp, ignore_errors=True)

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    res = {"dirs": args.dirs, "files": args.files, "depth": args.depth, "events": args.events,
           "binary": args.binary, "date": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        need = args.dirs * 2 + 8192  # fsrelay and lsyncd may both be watching
        if old_limit < need:
            with open(SYSCTL, "w") as f:
                f.write(str(need))
            log(f"fs.inotify.max_user_watches {old_limit} -> {need} for the run (restored at the end)")
        d = RsyncDaemon(tmp)
        daemon.append(d)
        for m in ("tiny", "big", "full", "rsync", "lsyncd"):
            d.module(m)
        d.start()

        tiny = os.path.join(tmp, "tiny")
        os.mkdir(tiny)
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        t = now()
        rels = make_tree(src, args.dirs, args.files, args.depth)
        res["generate_s"] = round(now() - t, 1)
        deep = rels[-1]
        log(f"tree: {len(rels)} dirs, {args.files} files, depth {args.depth} in {res['generate_s']} s")
        subprocess.run(["sync"])

        # Base RSS: the same daemon watching a one-directory tree.
        run = fsrelay_run(args, tmp, d, tiny, "tiny", "tiny", False)
        procs.append(run)
        wait_log(run.logfile, r"ready:", run.proc, 60, run.name)
        time.sleep(0.5)
        res["fsrelay_base_rss"] = proc_status(run.proc.pid)["VmRSS"]
        run.stop()
        procs.remove(run)

        # The big tree, no -r: watch time, RSS, latency, events.
        run = fsrelay_run(args, tmp, d, src, "big", "big", False)
        procs.append(run)
        # inotify: "watching ROOT: N directories in X ms"; fanotify: "watching ROOT with fanotify (...) in X ms"
        m = wait_log(run.logfile, r"watching .*?(?:: (\d+) directories| with fanotify .*?) in (\d+) ms", run.proc, 600,
                     run.name)
        res["fsrelay_watch_dirs"] = int(m.group(1)) if m.group(1) else len(rels) + 1
        res["fsrelay_watch_ms"] = int(m.group(2))
        wait_log(run.logfile, r"ready:", run.proc, 600, run.name)
        res["fsrelay_ready_s"] = round(now() - run.t0, 2)
        wait_idle(run.proc.pid, 1.0)
        st = proc_status(run.proc.pid)
        res["fsrelay_rss"], res["fsrelay_hwm_watching"] = st["VmRSS"], st["VmHWM"]
        res["fsrelay_bytes_per_dir"] = round((st["VmRSS"] - res["fsrelay_base_rss"]) / max(1, len(rels)), 1)
        log(f"fsrelay: {res['fsrelay_watch_dirs']} dirs watched in {res['fsrelay_watch_ms']} ms, "
            f"RSS {st['VmRSS'] >> 20} MiB, {res['fsrelay_bytes_per_dir']} B/dir")
        if "latency" not in skip:
            lat = latency(src, d.modules["big"], deep, args.latency_runs, "fsrelay")
            res["fsrelay_latency_ms"] = round(statistics.median(lat), 1)
            res["fsrelay_latency_all_ms"] = [round(x, 1) for x in lat]
            log(f"fsrelay: one-file latency median {res['fsrelay_latency_ms']} ms")
        if "events" not in skip:
            wait_idle(run.proc.pid, 1.0)
            idle = proc_status(run.proc.pid)["VmRSS"]
            secs = burst(src, rels, args.events, min(args.distinct, len(rels)))
            res["events_write_s"] = round(secs, 1)
            wait_in_sync(args.binary, os.path.join(tmp, "fsrelay-big.xml"))
            wait_idle(run.proc.pid, 3.0)
            st = proc_status(run.proc.pid)
            res["fsrelay_rss_idle"], res["fsrelay_rss_after_events"] = idle, st["VmRSS"]
            res["fsrelay_hwm"] = st["VmHWM"]
            res["fsrelay_after_events_ratio"] = round(st["VmRSS"] / idle, 3)
            with open(run.logfile, errors="replace") as f:
                res["fsrelay_overflows"] = sum(1 for line in f if "overflow" in line)
            log(f"fsrelay: {args.events} events in {secs:.1f} s; RSS idle {idle >> 20} MiB, after "
                f"{st['VmRSS'] >> 20} MiB (x{res['fsrelay_after_events_ratio']}), peak {st['VmHWM'] >> 20} MiB")
        else:
            res["fsrelay_hwm"] = proc_status(run.proc.pid)["VmHWM"]
        run.stop()
        procs.remove(run)

        if "fullsync" not in skip:
            t = now()
            subprocess.run(["rsync", "-a", "--delete", f"--password-file={d.password_file}", src + "/",
                            d.url("rsync")], check=True)
            res["rsync_a_s"] = round(now() - t, 1)
            run = fsrelay_run(args, tmp, d, src, "full", "full", True)
            procs.append(run)
            wait_log(run.logfile, r"ready:", run.proc, 3600, run.name)
            res["fsrelay_full_sync_s"] = round(now() - run.t0, 1)
            res["full_sync_ratio"] = round(res["fsrelay_full_sync_s"] / max(0.1, res["rsync_a_s"]), 2)
            run.stop()
            procs.remove(run)
            log(f"-r: fsrelay {res['fsrelay_full_sync_s']} s, rsync -a {res['rsync_a_s']} s")

        if "lsyncd" not in skip:
            conf = os.path.join(tmp, "lsyncd.conf.lua")
            lslog = os.path.join(tmp, "lsyncd.log")
            lsyncd_conf(conf, src, d, "lsyncd", lslog)
            run = Run(["lsyncd", conf], lslog, "lsyncd")
            procs.append(run)
            wait_log(lslog, r"Startup of .* finished", run.proc, 3600, "lsyncd")
            res["lsyncd_startup_s"] = round(now() - run.t0, 1)
            wait_idle(run.proc.pid, 1.0)
            st = proc_status(run.proc.pid)
            res["lsyncd_rss"], res["lsyncd_hwm"] = st["VmRSS"], st["VmHWM"]
            if "latency" not in skip:
                lat = latency(src, d.modules["lsyncd"], deep, args.latency_runs, "lsyncd")
                res["lsyncd_latency_ms"] = round(statistics.median(lat), 1)
            run.stop()
            procs.remove(run)
            log(f"lsyncd: startup (watches + initial rsync) {res['lsyncd_startup_s']} s, RSS {st['VmRSS'] >> 20} MiB")
    finally:
        restore()

    outdir = args.out or os.path.join(here, "results")
    os.makedirs(outdir, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    label = f"-{args.label}" if args.label else ""
    path = os.path.join(outdir, f"bigtree{label}-{stamp}.json")
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    print(table(res))
    log(f"results: {path}")


def table(r):
    mib = lambda b: f"{b / 1048576:.1f} MiB" if isinstance(b, int) else "-"
    g = lambda k, fmt="{}": fmt.format(r[k]) if k in r else "-"
    rows = [
        ("tree", f"{r['dirs']} dirs, {r['files']} files, depth {r['depth']}", ""),
        ("time to watching", g("fsrelay_watch_ms", "{} ms"), g("lsyncd_startup_s", "{} s incl. initial rsync")),
        ("RSS watching", mib(r.get("fsrelay_rss")), mib(r.get("lsyncd_rss"))),
        ("RSS base (1 dir)", mib(r.get("fsrelay_base_rss")), ""),
        ("bytes per dir", g("fsrelay_bytes_per_dir"), ""),
        ("peak RSS (VmHWM)", mib(r.get("fsrelay_hwm")), mib(r.get("lsyncd_hwm"))),
        ("-r full sync", g("fsrelay_full_sync_s", "{} s"), g("rsync_a_s", "rsync -a: {} s")),
        ("one-file latency", g("fsrelay_latency_ms", "{} ms"), g("lsyncd_latency_ms", "{} ms")),
        (f"RSS after {r['events']} events", mib(r.get("fsrelay_rss_after_events")),
         g("fsrelay_after_events_ratio", "x{} of idle")),
    ]
    out = [f"{'':28} {'fsrelay':>22} {'lsyncd / rsync':>30}"]
    out += [f"{a:28} {b:>22} {c:>30}" for a, b, c in rows]
    return "\n".join(out)


if __name__ == "__main__":
    main()
