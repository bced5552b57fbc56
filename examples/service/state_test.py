#!/usr/bin/env python3
"""Durable and shared recipient state of the example server (server.cc --state).

    python3 state_test.py journal --server build/examples/invitegraph_server \
        --make-snapshot build/examples/make_snapshot --workdir /tmp/x [--seed 1]
    python3 state_test.py redis --server ... --make-snapshot ... --workdir /tmp/y \
        [--redis-server /usr/bin/redis-server]

journal: the server runs on `--state journal:DIR` with a recipient cap, and
client threads send /reserve and /outcome calls, each noting the calls that
were acknowledged (a 200) and the ones whose fate is unknown (sent, but the
connection broke). The server is killed with SIGKILL after a seeded random
number of acknowledged calls, either once the clients have stopped (nothing in
flight: after a restart on the same journal every count must equal the
acknowledged ones) or while they are still sending (a call in flight may or may
not have been applied: acknowledged <= count <= acknowledged + unknown). The
counts read back through /feedback then become the known state of the next
round. Across all rounds no recipient is granted more sends than the cap, and
at the end a recipient at its cap is refused. The journal's options change
between rounds (sync=always, sync=group, a tiny compact_bytes so compactions
run and are killed too). Also: a spec that does not parse and a journal locked
by a running server make the server exit non-zero with the library's message.

redis: a redis-server of its own on a free loopback port, three servers on
`--state redis://...` with the same cap, all reserving the same recipients at
once: per recipient the grants acknowledged across the three equal the cap
exactly, every server's /feedback comes to show the cap's sends (the
follower), and a server restarted after SIGKILL still refuses them. An
unreachable Redis makes the server exit non-zero, and once the Redis server is
gone a /reserve answers 503.

Exits non-zero on the first failed check; prints "state test passed".
"""

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

USERS = 3000
CAP_WINDOW = 30 * 86400  # far longer than the test's timestamps span
CAP = 3
RECIPIENTS = list(range(100, 140))  # the recipients every call is about
INVITERS = list(range(1000, 1200))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def call(port, method, path, body=None, timeout=30):
    """One request on a fresh connection; (status, parsed JSON body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, json.loads(payload) if payload else None
    finally:
        conn.close()


def make_snapshot(tool, path, seed=1):
    subprocess.run([tool, "--users", str(USERS), "--seed", str(seed), "--out", path],
                   check=True, stdout=subprocess.DEVNULL)


class Server:
    """invitegraph_server on a free loopback port (--port 0), stopped by stop()."""

    def __init__(self, binary, snapshot, state, caps=((CAP_WINDOW, CAP),)):
        args = [binary, "--snapshot", snapshot, "--port", "0", "--state", state]
        for window, cap in caps:
            args += ["--cap", f"{window}:{cap}"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.line = self.proc.stdout.readline()
        if not self.line.startswith("listening on http://127.0.0.1:"):
            self.stop()
            raise AssertionError(f"server on {state!r} said {self.line!r} "
                                 f"(exit {self.proc.returncode})")
        self.port = int(self.line.split(":")[2].split()[0])

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def expect_startup_failure(binary, snapshot, state, needle):
    """The server must refuse `state` at startup: exit non-zero, `needle` in stderr."""
    proc = subprocess.run([binary, "--snapshot", snapshot, "--port", "0", "--state", state],
                          capture_output=True, text=True, timeout=60)
    check(proc.returncode != 0 and not proc.stdout,
          f"--state {state!r}: exit {proc.returncode}, stdout {proc.stdout!r}")
    check(needle in proc.stderr, f"--state {state!r}: stderr {proc.stderr!r} lacks {needle!r}")
    return proc.stderr


def feedback(port, user):
    """(recent sends in the cap's window, successes, failures) of `user`."""
    status, fb = call(port, "GET", f"/feedback?user={user}")
    check(status == 200, f"/feedback?user={user}: {status} {fb}")
    check(len(fb["recent_sends"]) == 1 and fb["recent_sends"][0]["max"] == CAP, fb)
    return fb["recent_sends"][0]["sends"], fb["successes"], fb["failures"]


# ---------------------------------------------------------------------------
# journal: kill -9 in the middle of a stream of calls


class Tally:
    """Per recipient: sends granted, successes, failures; acknowledged or unknown."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {r: [0, 0, 0] for r in RECIPIENTS}
        self.unknown = {r: [0, 0, 0] for r in RECIPIENTS}
        self.acked_calls = 0
        self.errors = []


class Clients:
    """`threads` client threads sending /reserve and /outcome calls until told to stop
    (or the server goes away), each with at most one call in flight."""

    def __init__(self, port, tally, rng_seed, ts0, threads, stop_after=None):
        self.port, self.tally, self.ts0 = port, tally, ts0
        self.stop_after = stop_after  # the clients stop themselves after this many acks
        self.stop = threading.Event()
        self.reached = threading.Event()  # stop_after acks seen
        self.threads = [threading.Thread(target=self._run, args=(rng_seed * 100 + i,))
                        for i in range(threads)]
        for t in self.threads:
            t.start()

    def join(self):
        for t in self.threads:
            t.join(timeout=60)
            check(not t.is_alive(), "a client thread hangs")

    def _next_call(self, rng):
        ts = self.ts0 + rng.randrange(0, 3600)
        inviter = rng.choice(INVITERS)
        if rng.random() < 0.5:
            invitees = rng.sample(RECIPIENTS, rng.randint(1, 3))
            body = {"inviter": inviter, "invitees": invitees, "item": rng.randrange(50),
                    "ts": ts}
            return "/reserve", body, invitees
        rows = [{"inviter": inviter, "invitee": rng.choice(RECIPIENTS),
                 "item": rng.randrange(50), "ts": ts,
                 "outcome": rng.choice(["accepted", "declined", "ignored"])}
                for _ in range(rng.randint(1, 2))]
        return "/outcome", {"outcomes": rows}, rows

    def _run(self, seed):
        rng = random.Random(seed)
        tally = self.tally
        while not self.stop.is_set():
            path, body, what = self._next_call(rng)
            try:
                status, reply = call(self.port, "POST", path, body, timeout=30)
            except ConnectionRefusedError:
                return  # never reached a server: not applied
            except (OSError, http.client.HTTPException):
                # Sent, the server died before answering: applied or not.
                with tally.lock:
                    if path == "/reserve":
                        for r in what:
                            tally.unknown[r][0] += 1
                    else:
                        for row in what:
                            tally.unknown[row["invitee"]][
                                1 if row["outcome"] == "accepted" else 2] += 1
                return
            with tally.lock:
                if status != 200:
                    tally.errors.append((path, body, status, reply))
                    return
                if path == "/reserve":
                    check(len(reply["granted"]) == len(what), reply)
                    for r, granted in zip(what, reply["granted"]):
                        tally.acked[r][0] += int(granted)
                else:
                    for row in what:
                        tally.acked[row["invitee"]][
                            1 if row["outcome"] == "accepted" else 2] += 1
                tally.acked_calls += 1
                if self.stop_after is not None and tally.acked_calls >= self.stop_after:
                    self.stop.set()
                    self.reached.set()
                    return


def journal_test(args):
    snap = os.path.join(args.workdir, "a.snap")
    make_snapshot(args.make_snapshot, snap)
    journal = os.path.join(args.workdir, "journal")
    shutil.rmtree(journal, ignore_errors=True)

    # Refused at startup: a spec that does not parse, a journal in use.
    expect_startup_failure(args.server, snap, "journal", "state")
    expect_startup_failure(args.server, snap, "journal:" + journal + "?sync=sometimes", "sync")
    first = Server(args.server, snap, "journal:" + journal)
    try:
        check("state journal:" in first.line, f"startup line names no backend: {first.line!r}")
        status, state = call(first.port, "GET", "/state")
        check(status == 200 and state["backend"] == "journal" and
              state["replayed_events"] == 0, state)
        expect_startup_failure(args.server, snap, "journal:" + journal, "locked")
        status, health = call(first.port, "GET", "/healthz")
        ts0 = health["as_of"]
    finally:
        first.stop()

    rng = random.Random(args.seed)
    tally = Tally()  # acknowledged over all rounds: the oracle of what the journal holds
    specs = ["journal:" + journal, "journal:" + journal + "?sync=group&group_ms=5",
             "journal:" + journal + "?compact_bytes=4096"]
    rounds = 6
    for rnd in range(rounds):
        spec = specs[rnd % len(specs)]
        quiet = rnd % 2 == 0  # clients stop before the kill: nothing in flight
        kill_after = rng.randint(5, 60)
        threads = 1 if quiet else 3
        server = Server(args.server, snap, spec)
        try:
            before = {r: list(v) for r, v in tally.acked.items()}
            tally.acked_calls = 0
            clients = Clients(server.port, tally, rng.randrange(1 << 30), ts0, threads,
                              stop_after=kill_after if quiet else None)
            if quiet:
                clients.join()
                server.kill9()
            else:
                deadline = time.monotonic() + 120
                while tally.acked_calls < kill_after and not tally.errors:
                    check(time.monotonic() < deadline, "clients made no progress")
                    time.sleep(0.001)
                server.kill9()  # the clients are still sending
                clients.join()
        finally:
            server.stop()
        check(not tally.errors, f"round {rnd}: calls failed: {tally.errors[:3]}")
        acked_now = tally.acked_calls
        unknown = sum(sum(v) for v in tally.unknown.values())
        check(acked_now >= kill_after, f"round {rnd}: {acked_now} acks < {kill_after}")

        # Restart on the same journal: every acknowledged call is there.
        server = Server(args.server, snap, spec)
        try:
            status, state = call(server.port, "GET", "/state")
            check(status == 200 and state["backend"] == "journal", state)
            for r in RECIPIENTS:
                got = list(feedback(server.port, r))
                lo, extra = tally.acked[r], tally.unknown[r]
                for k, name in enumerate(("sends", "successes", "failures")):
                    hi = lo[k] + extra[k]
                    check(lo[k] <= got[k] <= hi,
                          f"round {rnd} ({spec}, {'quiet' if quiet else 'mid-stream'}, "
                          f"kill after {kill_after} acks): recipient {r} {name} = "
                          f"{got[k]}, acknowledged {lo[k]}, unknown {extra[k]}")
                check(got[0] <= CAP, f"recipient {r}: {got[0]} sends > cap {CAP}")
                # What the journal holds is now the known state.
                tally.acked[r] = got
                tally.unknown[r] = [0, 0, 0]
            check(quiet is False or unknown == 0, f"quiet round with {unknown} unknown")
            changed = sum(sum(tally.acked[r]) - sum(before[r]) for r in RECIPIENTS)
            print(f"round {rnd}: {spec.split('?')[-1] if '?' in spec else 'sync=always'}, "
                  f"{'quiet' if quiet else 'mid-stream'}, killed after {acked_now} acks "
                  f"(target {kill_after}), {unknown} rows of unknown fate, "
                  f"{changed} rows gained; /state {json.dumps(state)}")
        finally:
            server.stop()

    # At the end a recipient at its cap is refused; one below it is granted.
    server = Server(args.server, snap, "journal:" + journal)
    try:
        at_cap = [r for r in RECIPIENTS if tally.acked[r][0] == CAP]
        below = [r for r in RECIPIENTS if tally.acked[r][0] < CAP]
        check(at_cap, "no recipient reached the cap: too few reserves to test it")
        for r in at_cap:
            status, got = call(server.port, "POST", "/reserve",
                               {"inviter": 1, "invitees": [r], "item": 1, "ts": ts0})
            check(status == 200 and got["granted"] == [False],
                  f"recipient {r} at cap granted again: {status} {got}")
        for r in below:
            status, got = call(server.port, "POST", "/reserve",
                               {"inviter": 1, "invitees": [r], "item": 1, "ts": ts0})
            check(status == 200 and got["granted"] == [True], f"{r}: {status} {got}")
    finally:
        server.stop()


# ---------------------------------------------------------------------------
# redis: three servers sharing one Redis


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, binary, workdir):
        self.dir = tempfile.mkdtemp(prefix="redis-", dir=workdir)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_test(args):
    snap = os.path.join(args.workdir, "a.snap")
    make_snapshot(args.make_snapshot, snap)
    # Nothing listens on a port just freed: the server must not start.
    expect_startup_failure(args.server, snap, f"redis://127.0.0.1:{free_port()}",
                           "state=redis://")

    redis = RedisServer(args.redis_server, args.workdir)
    servers = []
    try:
        spec = f"redis://127.0.0.1:{redis.port}/0?prefix=statetest:"
        servers = [Server(args.server, snap, spec) for _ in range(3)]
        for s in servers:
            check("state redis:" in s.line, f"startup line names no backend: {s.line!r}")
            status, state = call(s.port, "GET", "/state")
            check(status == 200 and state["backend"] == "redis", state)
        status, health = call(servers[0].port, "GET", "/healthz")
        ts0 = health["as_of"]

        # Two threads per server; each asks for every recipient CAP times, in its
        # own order, so each recipient is asked 6 * CAP times in all.
        rng = random.Random(args.seed)
        grants = {r: 0 for r in RECIPIENTS}
        errors = []
        lock = threading.Lock()
        start = threading.Barrier(6)

        def client(port, seed):
            local = random.Random(seed)
            order = [r for r in RECIPIENTS for _ in range(CAP)]
            local.shuffle(order)
            start.wait()
            for i in range(0, len(order), 2):
                invitees = list(dict.fromkeys(order[i:i + 2]))
                body = {"inviter": local.choice(INVITERS), "invitees": invitees,
                        "item": local.randrange(50), "ts": ts0 + local.randrange(600)}
                try:
                    status, reply = call(port, "POST", "/reserve", body)
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        errors.append((port, body, repr(e)))
                    return
                with lock:
                    if status != 200:
                        errors.append((port, body, status, reply))
                        return
                    for r, g in zip(invitees, reply["granted"]):
                        grants[r] += int(g)

        threads = [threading.Thread(target=client, args=(s.port, rng.randrange(1 << 30)))
                   for s in servers for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
            check(not t.is_alive(), "a client thread hangs")
        check(not errors, f"reserves failed: {errors[:3]}")
        wrong = {r: g for r, g in grants.items() if g != CAP}
        check(not wrong, f"grants across three servers != cap {CAP}: {wrong}")

        # Every server comes to see every recipient at its cap (the follower).
        deadline = time.monotonic() + 60
        for s in servers:
            for r in RECIPIENTS:
                while feedback(s.port, r)[0] != CAP:
                    check(time.monotonic() < deadline,
                          f"server {s.port}: recipient {r} sends {feedback(s.port, r)} "
                          f"never reached {CAP}")
                    time.sleep(0.05)

        for s in servers:
            print(f"server {s.port}: /state {json.dumps(call(s.port, 'GET', '/state')[1])}")
        print(f"{len(RECIPIENTS)} recipients, each asked {6 * CAP} times over three "
              f"servers, granted {CAP} times")

        # A server killed and restarted refuses them too, and so do the others.
        servers[0].kill9()
        servers[0].stop()
        servers[0] = Server(args.server, snap, spec)
        for s in servers:
            status, got = call(s.port, "POST", "/reserve",
                               {"inviter": 1, "invitees": RECIPIENTS[:5], "item": 1,
                                "ts": ts0})
            check(status == 200 and got["granted"] == [False] * 5, f"{status} {got}")

        # Without its Redis server a reserve is a 503, never a grant.
        redis.stop()
        status, got = call(servers[1].port, "POST", "/reserve",
                           {"inviter": 1, "invitees": [5], "item": 1, "ts": ts0})
        check(status == 503 and "error" in got, f"reserve without Redis: {status} {got}")
    finally:
        for s in servers:
            s.stop()
        redis.stop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("backend", choices=["journal", "redis"])
    p.add_argument("--server", required=True)
    p.add_argument("--make-snapshot", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--redis-server", default=shutil.which("redis-server"))
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    if args.backend == "journal":
        journal_test(args)
    else:
        check(args.redis_server, "no redis-server (pass --redis-server)")
        redis_test(args)
    print("state test passed")


if __name__ == "__main__":
    sys.exit(main())
