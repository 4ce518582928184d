#!/usr/bin/env python3
"""Idle memory of commerce-syncd between cycles.

Starts `commerce-sim --platform sunsky` (rate limit off) with N products and `commerce-syncd run`
against it, waits for the first products cycle to be recorded, lets the daemon settle, then
prints its VmRSS, VmHWM and the anonymous / file-backed split from /proc/PID/smaps_rollup, and
the largest resident mappings from /proc/PID/smaps. Figures only: nothing here asserts a size.

  python3 bench/idle_rss.py [--products N] [--bin DIR] [--sim-bin DIR] [--settle S] [--top K]
"""

import argparse
import collections
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # importing run_bench leaves no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_bench import KEY, SECRET, wait_for_port, write_config  # noqa: E402


def kib_fields(path, names):
    out = {}
    with open(path) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in names:
                out[key] = int(rest.split()[0])
    return out


def resident_by_mapping(pid):
    sizes = collections.Counter()
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and len(head[0].split("-")) == 2 and ":" not in head[0]:
                name = head[5] if len(head) >= 6 else "[anonymous]"
                name = os.path.basename(name) if name.startswith("/") else name
            elif line.startswith("Rss:"):
                sizes[name] += int(line.split()[1])
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200000)
    parser.add_argument("--bin", default="build/release/src/app")
    parser.add_argument("--sim-bin", default=None)
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between the recorded cycle and the reading")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()

    daemon = os.path.abspath(os.path.join(args.bin, "commerce-syncd"))
    sim = os.path.abspath(os.path.join(args.sim_bin or args.bin, "commerce-sim"))
    work = tempfile.mkdtemp(prefix="csync-idle-")
    port_file = os.path.join(work, "sim.port")
    db_path = os.path.join(work, "daemon.db")
    sim_process = subprocess.Popen(
        [sim, "--platform", "sunsky", "--products", str(args.products), "--rate-limit", "0",
         "--port-file", port_file, "--key", KEY, "--secret", SECRET],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    daemon_process = None
    try:
        port = wait_for_port(port_file, sim_process)
        # The benchmark's own configuration: its 5-minute interval leaves the daemon idle.
        config = write_config(work, "http://127.0.0.1:%d" % port, db_path)
        daemon_process = subprocess.Popen([daemon, "-c", config, "run"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 3600
        while time.monotonic() < deadline:
            if daemon_process.poll() is not None:
                sys.exit("commerce-syncd exited with %d" % daemon_process.returncode)
            try:
                db = sqlite3.connect(db_path)
                done = db.execute("SELECT count(*) FROM sync_runs WHERE stream = 'products' "
                                  "AND finished_at IS NOT NULL").fetchone()[0]
                db.close()
                if done:
                    break
            except sqlite3.Error:
                pass
            time.sleep(0.5)
        time.sleep(args.settle)
        pid = daemon_process.pid
        status = kib_fields("/proc/%d/status" % pid, {"VmRSS", "VmHWM"})
        rollup = kib_fields("/proc/%d/smaps_rollup" % pid, {"Rss", "Anonymous"})
        print("%s: %d products, idle VmRSS %.1f MiB (anonymous %.1f MiB, file-backed %.1f MiB), "
              "VmHWM %.1f MiB" % (daemon, args.products, status["VmRSS"] / 1024,
                                  rollup["Anonymous"] / 1024,
                                  (rollup["Rss"] - rollup["Anonymous"]) / 1024,
                                  status["VmHWM"] / 1024))
        for name, kib in resident_by_mapping(pid).most_common(args.top):
            print("  %8.2f MiB  %s" % (kib / 1024, name))
    finally:
        for p in (daemon_process, sim_process):
            if p is not None and p.poll() is None:
                p.terminate()
                p.wait()


if __name__ == "__main__":
    main()
