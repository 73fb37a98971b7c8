#!/usr/bin/env python3
"""bench-daemon-runs.py - run-throughput figures of a running svabenchd
(scripts/bench-daemon.sh starts the daemon and calls this).

  bench-daemon-runs.py URL TOKEN throughput SPEC_FILE
      submits SPEC_FILE once, waits for it to end; prints "RUNS SECONDS"
  bench-daemon-runs.py URL TOKEN latency N SPEC_FILE
      N times: submits SPEC_FILE (one run) and waits for it to end; prints
      "P50_MS P99_MS" of submit-to-done
  bench-daemon-runs.py URL TOKEN suite
      waits until every experiment has ended; prints "EXPERIMENTS RUNS"

Polls over one keep-alive connection: every 2 ms for the latency, 20 ms for
the throughput, 100 ms for the suite (a poll costs the daemon a read).
"""
import http.client
import json
import sys
import time
import urllib.parse

url, token, mode = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def call(method, path, body=None):
    headers = {"Host": f"127.0.0.1:{u.port}"}
    if body is not None:
        headers["Authorization"] = "Bearer " + token
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None


def submit(spec):
    st, d = call("POST", "/api/v1/experiments", spec)
    if st != 202:
        sys.exit(f"submit: HTTP {st}: {d}")
    return d["id"]


def wait(exp, every):
    while True:
        st, d = call("GET", f"/api/v1/experiments/{exp}?runs=false")
        e = d["experiment"]
        if e["status"] in ("done", "failed", "cancelled"):
            return e
        time.sleep(every)


if mode == "throughput":
    spec = open(sys.argv[4], "rb").read()
    t0 = time.monotonic()
    e = wait(submit(spec), 0.02)
    t1 = time.monotonic()
    print(e["runs_done"], f"{t1 - t0:.3f}")
elif mode == "latency":
    n, spec = int(sys.argv[4]), open(sys.argv[5], "rb").read()
    lat = []
    for _ in range(n):
        t0 = time.monotonic()
        wait(submit(spec), 0.002)
        lat.append((time.monotonic() - t0) * 1000)
    lat.sort()
    print(f"{lat[len(lat) // 2]:.1f}", f"{lat[min(len(lat) - 1, int(len(lat) * 0.99))]:.1f}")
elif mode == "suite":
    while True:
        st, d = call("GET", "/api/v1/experiments?limit=1000")
        exps = d["experiments"]
        if exps and all(e["status"] in ("done", "failed", "cancelled") for e in exps):
            print(len(exps), sum(e["runs_total"] for e in exps))
            break
        time.sleep(0.1)
else:
    sys.exit("usage: bench-daemon-runs.py URL TOKEN throughput|latency|suite ...")
