#!/usr/bin/env python3
"""Open-loop load test of the invitegraph server (server.cc), standard library only.

    python3 examples/service/load_test.py --url http://127.0.0.1:8080 \
        --rate 500 --duration 30 --reload-at 15 [--reload-path new.snap] \
        [--reserve 0.2]

Request i is due at start + i / rate, whatever happened to earlier requests
(open loop), and its latency is measured from that due time, so a stalled
server shows up as latency instead of as a lower offered rate. Inviters are
uniform over the ids 0 .. users-1 (/healthz: make_snapshot's ids), half of the
requests GET and half POST. With --reload-at, one POST /reload is sent at
that second; every /recommend must still answer 200. With --reserve F, that
fraction of the requests are POST /reserve of 1-3 random invitees instead
(their latency is reported apart too: with a durable --state it includes the
store's acknowledgement). Prints a JSON report and exits 1 on any failed
request or a failed reload.
"""

import argparse
import http.client
import itertools
import json
import random
import threading
import time
import urllib.parse

# Errors of a kept-alive connection that the server closed while idle: the
# request is sent again once on a new connection (what urllib3 does).
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def request(conn, method, path, body=None):
    """One request on `conn`; returns (status, parsed JSON body)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    data = json.dumps(body) if body is not None else None
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    return resp.status, json.loads(payload) if payload else None


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return sorted_values[i]


def run(host, port, rate, duration, reload_at=None, reload_path=None,
        connections=16, k=10, seed=0, timeout=10.0, reserve=0.0):
    """Offers `rate` requests per second for `duration` seconds: /recommend,
    and a `reserve` fraction of /reserve.

    Returns a report dict: offered and achieved rate, latency percentiles (ms,
    from each request's due time), failures by kind and the reload's outcome.
    """
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    status, health = request(conn, "GET", "/healthz")
    conn.close()
    if status != 200:
        raise RuntimeError(f"/healthz answered {status}: {health}")
    users = health["users"]
    as_of = health["as_of"]
    total = int(rate * duration)
    counter = itertools.count()
    lock = threading.Lock()
    latencies, failures, generations = [], {}, set()
    reserve_latencies, grants = [], [0, 0]  # granted, refused
    retries = [0]
    start = time.perf_counter() + 0.2

    def fail(kind):
        with lock:
            failures[kind] = failures.get(kind, 0) + 1

    def worker(wid):
        rng = random.Random(seed * 1000 + wid)
        c = http.client.HTTPConnection(host, port, timeout=timeout)
        local, gens, local_reserve, local_grants = [], set(), [], [0, 0]
        while True:
            i = next(counter)
            if i >= total:
                break
            due = start + i / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            inviter = rng.randrange(users)
            item = rng.randrange(1000)
            is_reserve = reserve > 0 and rng.random() < reserve
            try:
                for attempt in (0, 1):
                    try:
                        if is_reserve:
                            invitees = [v for v in rng.sample(range(users), rng.randint(1, 3))
                                        if v != inviter]
                            status, body = request(
                                c, "POST", "/reserve",
                                {"inviter": inviter, "invitees": invitees, "item": item,
                                 "ts": as_of})
                        elif i % 2:
                            query = urllib.parse.urlencode(
                                {"inviter": inviter, "item": item, "k": k})
                            status, body = request(c, "GET", "/recommend?" + query)
                        else:
                            status, body = request(
                                c, "POST", "/recommend",
                                {"inviter": inviter, "item": item, "k": k})
                        break
                    except _STALE:
                        c.close()
                        if attempt:
                            raise
                        with lock:
                            retries[0] += 1
            except Exception as e:  # pylint: disable=broad-except
                fail(type(e).__name__)
                c.close()
                continue
            done = time.perf_counter()
            if is_reserve:
                if status != 200 or not isinstance(body.get("granted"), list):
                    fail(f"reserve_http_{status}")
                    continue
                local_reserve.append(done - due)
                for g in body["granted"]:
                    local_grants[0 if g else 1] += 1
                continue
            if status != 200 or not isinstance(body.get("suggestions"), list):
                fail(f"http_{status}")
                continue
            local.append((due - start, done - due))
            gens.add(body.get("generation"))
        c.close()
        with lock:
            latencies.extend(local)
            generations.update(gens)
            reserve_latencies.extend(local_reserve)
            grants[0] += local_grants[0]
            grants[1] += local_grants[1]

    reload = {}

    def reloader():
        time.sleep(max(0.0, start + reload_at - time.perf_counter()))
        c = http.client.HTTPConnection(host, port, timeout=600)
        t = time.perf_counter()
        try:
            status, body = request(c, "POST", "/reload",
                                   {"path": reload_path} if reload_path else {})
        except Exception as e:  # pylint: disable=broad-except
            status, body = None, {"error": repr(e)}
        reload.update(status=status, seconds=time.perf_counter() - t, reply=body,
                      window=(t - start, time.perf_counter() - start))
        c.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(connections)]
    if reload_at is not None:
        threads.append(threading.Thread(target=reloader))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    # Requests due while the reload ran (plus a second for the queue to drain)
    # are reported apart too, so the cost of a reload is visible on its own.
    lo, hi = reload.pop("window", (float("inf"), float("-inf")))
    during = sorted(lat for due, lat in latencies if lo <= due <= hi + 1)
    outside = sorted(lat for due, lat in latencies if not lo <= due <= hi + 1)
    latencies = sorted(lat for _, lat in latencies)
    ms = lambda q, v=latencies: round(1e3 * percentile(v, q), 3)  # noqa: E731
    report = {
        "users": users,
        "offered_rate": rate,
        "duration_s": duration,
        "requests": total,
        "ok": len(latencies) + len(reserve_latencies),
        "achieved_rate": round((len(latencies) + len(reserve_latencies)) / elapsed, 1),
        "p50_ms": ms(0.5),
        "p99_ms": ms(0.99),
        "p999_ms": ms(0.999),
        "max_ms": ms(1.0),
        "failures": failures,
        "errors": sum(failures.values()),
        "stale_connection_retries": retries[0],
        "generations_served": sorted(g for g in generations if g is not None),
    }
    if reserve > 0:
        reserve_latencies.sort()
        report["reserve"] = {"requests": len(reserve_latencies),
                             "p50_ms": ms(0.5, reserve_latencies),
                             "p99_ms": ms(0.99, reserve_latencies),
                             "granted": grants[0], "refused": grants[1]}
    if reload_at is not None:
        report["reload"] = reload
        report["outside_reload"] = {"requests": len(outside), "p50_ms": ms(0.5, outside),
                                    "p99_ms": ms(0.99, outside)}
        report["during_reload"] = {"requests": len(during), "p50_ms": ms(0.5, during),
                                   "p99_ms": ms(0.99, during), "max_ms": ms(1.0, during)}
    return report


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--rate", type=float, action="append",
                   help="requests/s; repeat for several runs (default 500)")
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--reload-at", type=float, default=None,
                   help="seconds into each run to POST /reload")
    p.add_argument("--reload-path", default=None,
                   help="snapshot for /reload (default: the one served)")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reserve", type=float, default=0.0,
                   help="fraction of requests that are POST /reserve (default 0)")
    args = p.parse_args()
    url = urllib.parse.urlparse(args.url)
    failed = False
    for rate in args.rate or [500.0]:
        r = run(url.hostname, url.port or 80, rate, args.duration, args.reload_at,
                args.reload_path, args.connections, args.k, args.seed,
                reserve=args.reserve)
        print(json.dumps(r), flush=True)
        failed |= r["errors"] > 0 or ("reload" in r and r["reload"]["status"] != 200)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
