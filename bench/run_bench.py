#!/usr/bin/env python3
"""End-to-end throughput of commerce-syncd against its Sunsky simulator, beside a plain Python client.

Starts `commerce-sim --platform sunsky` (rate limit off) on loopback, then runs, each as a child
process whose CPU (user+sys) and peak RSS come from wait4():
  first sync      `commerce-syncd sync-once` on an empty database, and the Python client likewise
  re-read         `reset-cursor` then `sync-once` (Python: its watermark deleted) over the
                  unchanged catalogue
  0% changed      one more incremental cycle with nothing changed
  1% changed      /__sim/mutate of 1% of the products, then one incremental cycle
and prints one table. Figures only: nothing here asserts a speed. See scripts/bench.
With --platform wangdiantong it measures the stock stream instead (first sync of every waiting
id, a cycle with nothing waiting, one with 1% of the stock changed; no Python client).
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

KEY = "bench-key"
SECRET = "bench-secret"
ACCOUNT = "bench"


def wait_for_port(path, process, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("commerce-sim exited with %d" % process.returncode)
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    sys.exit("commerce-sim did not start within %d s" % timeout)


def run_child(argv):
    started = time.monotonic()
    out_r, out_w = os.pipe()
    err_file = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.dup2(out_w, 1)
        os.dup2(err_file.fileno(), 2)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    os.close(out_w)
    chunks = []
    while True:
        chunk = os.read(out_r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(out_r)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        err_file.seek(0)
        sys.exit("%s exited with %d:\n%s" % (" ".join(argv), code,
                                             err_file.read().decode(errors="replace")[-4000:]))
    return {"stdout": b"".join(chunks).decode(), "wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime, "rss_kib": usage.ru_maxrss}


def db_size(path):
    return sum(os.path.getsize(path + suffix) for suffix in ("", "-wal")
               if os.path.exists(path + suffix))


def daemon_run_figures(db_path, stream="products"):
    db = sqlite3.connect(db_path)
    row = db.execute("SELECT requests, inserted, updated, unchanged, dead_lettered, error "
                     "FROM sync_runs WHERE stream = ? ORDER BY id DESC LIMIT 1",
                     (stream,)).fetchone()
    db.close()
    if row is None:
        sys.exit("commerce-syncd recorded no %s run" % stream)
    requests, inserted, updated, unchanged, dead, error = row
    if error:
        sys.exit("commerce-syncd's %s run failed: %s" % (stream, error))
    return requests, inserted + updated + unchanged + dead


# Per platform: the stream measured, its page size, the credentials (config text and
# commerce-sim arguments).
PLATFORMS = {
    "sunsky": dict(stream="products", page_size=100,
                   credentials="{ key: %s, secret: %s }" % (KEY, SECRET),
                   sim_args=["--key", KEY, "--secret", SECRET]),
    "wangdiantong": dict(stream="stock", page_size=500,
                         credentials='{ sid: bench-sid, key: %s, appsecret: "%s:bench-salt" }'
                         % (KEY, SECRET),
                         sim_args=["--sid", "bench-sid", "--key", KEY,
                                   "--appsecret", SECRET + ":bench-salt"]),
}


def write_config(directory, url, db_path, platform="sunsky"):
    p = PLATFORMS[platform]
    path = os.path.join(directory, "bench.yaml")
    with open(path, "w") as f:
        f.write(f"""store: {{ path: {db_path} }}
log: {{ level: warn, format: text }}
http: {{ listen: "off" }}
accounts:
  - name: {ACCOUNT}
    platform: {platform}
    base_url: "{url}"
    timezone: Asia/Shanghai
    credentials: {p["credentials"]}
    rate_limit: {{ per_second: 1000000, burst: 1000 }}
    streams:
      {p["stream"]}: {{ interval: 5m, page_size: {p["page_size"]} }}
""")
    return path


def post(url):
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platform", choices=sorted(PLATFORMS), default="sunsky",
                        help="wangdiantong: its stock stream (ids acknowledged one call each); "
                        "the Python client is Sunsky's only")
    parser.add_argument("--products", type=int, default=20000)
    parser.add_argument("--bin", default="build/release/src/app",
                        help="directory holding commerce-syncd and commerce-sim")
    parser.add_argument("--sim-bin", default=None,
                        help="directory of the commerce-sim to use (default: --bin)")
    parser.add_argument("--label", default="commerce-syncd")
    parser.add_argument("--skip-python", action="store_true")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--json", default=None, help="also write the rows as JSON here")
    args = parser.parse_args()

    daemon = os.path.abspath(os.path.join(args.bin, "commerce-syncd"))
    sim = os.path.abspath(os.path.join(args.sim_bin or args.bin, "commerce-sim"))
    here = os.path.dirname(os.path.abspath(__file__))
    python_client = os.path.join(here, "python_client.py")
    work = args.workdir or tempfile.mkdtemp(prefix="csync-bench-")
    os.makedirs(work, exist_ok=True)
    daemon_db = os.path.join(work, "daemon.db")
    python_db = os.path.join(work, "python.db")
    for path in (daemon_db, python_db):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)

    port_file = os.path.join(work, "sim.port")
    if os.path.exists(port_file):
        os.remove(port_file)
    sim_started = time.monotonic()
    sim_process = subprocess.Popen(
        [sim, "--platform", args.platform, "--products", str(args.products), "--rate-limit", "0",
         "--port-file", port_file] + PLATFORMS[args.platform]["sim_args"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        port = wait_for_port(port_file, sim_process)
        sim_start_s = time.monotonic() - sim_started
        url = "http://127.0.0.1:%d" % port
        config = write_config(work, url, daemon_db, args.platform)
        stream = PLATFORMS[args.platform]["stream"]
        sync = [daemon, "-c", config, "sync-once", "--account", ACCOUNT, "--stream", stream]
        py = [sys.executable, python_client, "--url", url, "--key", KEY, "--secret", SECRET,
              "--db", python_db]

        def daemon_case(name, before=None):
            if before:
                run_child(before)
            r = run_child(sync)
            requests, records = daemon_run_figures(daemon_db, stream)
            rows.append(dict(case=name, client=args.label, records=records, requests=requests,
                             wall=r["wall"], cpu=r["cpu"], rss_kib=r["rss_kib"],
                             db_bytes=db_size(daemon_db)))

        def python_case(name, extra=()):
            if args.skip_python or args.platform != "sunsky":
                return
            r = run_child(py + list(extra))
            figures = json.loads(r["stdout"])
            rows.append(dict(case=name, client="python", records=figures["records"],
                             requests=figures["requests"], wall=r["wall"], cpu=r["cpu"],
                             rss_kib=r["rss_kib"], db_bytes=db_size(python_db)))

        daemon_case("first sync")
        python_case("first sync")
        if args.platform == "sunsky":  # Wangdiantong's queue, not a cursor, says what is read
            daemon_case("re-read", before=[daemon, "-c", config, "reset-cursor", ACCOUNT, stream])
            python_case("re-read", ["--forget-watermark"])
        daemon_case("0% changed")
        python_case("0% changed")
        changed = max(1, args.products // 100)
        post(url + "/__sim/mutate?count=%d" % changed)
        daemon_case("1% changed")
        python_case("1% changed")
        sim_rss = 0
        with open("/proc/%d/status" % sim_process.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    sim_rss = int(line.split()[1])
    finally:
        sim_process.terminate()
        sim_process.wait()

    print_table(args, rows, sim_start_s, sim_rss)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(products=args.products, rows=rows), f, indent=1)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)


def print_table(args, rows, sim_start_s, sim_rss_kib):
    print("%s records: %d; commerce-sim started in %.1f s, peak RSS %.0f MiB; %d cores, %.1f GiB"
          % (args.platform, args.products, sim_start_s, sim_rss_kib / 1024, os.cpu_count(),
             os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30))
    # CPU per record divides by the records handled (boundary rows come back more than once);
    # CPU per product, for the full passes, divides by the catalogue, as the targets are stated.
    header = ("case", "client", "records", "requests", "wall s", "records/s", "CPU s",
              "CPU us/rec", "CPU us/product", "peak RSS MiB", "DB MiB", "python CPU / this")
    python_cpu = {r["case"]: r["cpu"] / max(r["records"], 1)
                  for r in rows if r["client"] == "python"}
    lines = [header]
    for r in rows:
        per_record = r["cpu"] / max(r["records"], 1)
        ratio = ""
        if r["client"] != "python" and r["case"] in python_cpu and per_record > 0:
            ratio = "%.2f" % (python_cpu[r["case"]] / per_record)
        lines.append((r["case"], r["client"], str(r["records"]), str(r["requests"]),
                      "%.2f" % r["wall"], "%.0f" % (r["records"] / r["wall"] if r["wall"] else 0),
                      "%.2f" % r["cpu"], "%.1f" % (per_record * 1e6),
                      "%.1f" % (r["cpu"] / args.products * 1e6)
                      if r["case"] in ("first sync", "re-read") else "",
                      "%.1f" % (r["rss_kib"] / 1024), "%.1f" % (r["db_bytes"] / 2**20), ratio))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
