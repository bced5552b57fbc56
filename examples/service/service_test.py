#!/usr/bin/env python3
"""End-to-end test of the example server (run by ctest as example_service).

    python3 service_test.py --server build/examples/invitegraph_server \
        --make-snapshot build/examples/make_snapshot --workdir /tmp/x

Makes two small snapshots, starts the server on an ephemeral port (the default
state, a journal in the working directory; a recipient cap), checks every endpoint and its errors, reloads (POST
/reload, then SIGHUP) while requests run, and stops it with SIGTERM. Exits
non-zero on the first failed check.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load_test  # noqa: E402

USERS = 3000


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Client:
    def __init__(self, port):
        self.port = port

    def call(self, method, path, body=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            if raw is not None:
                conn.request(method, path, body=raw)
                resp = conn.getresponse()
                return resp.status, json.loads(resp.read() or b"null")
            return load_test.request(conn, method, path, body)
        finally:
            conn.close()

    def expect_error(self, status, field, method, path, body=None, raw=None):
        got, reply = self.call(method, path, body, raw)
        check(got == status and "error" in reply and reply.get("field") == field,
              f"{method} {path} {body or raw!r}: want {status} naming {field!r}, "
              f"got {got} {reply}")


def make_snapshot(tool, path, seed):
    subprocess.run([tool, "--users", str(USERS), "--seed", str(seed), "--out", path],
                   check=True, stdout=subprocess.DEVNULL)


def wait_generation(client, generation, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, health = client.call("GET", "/healthz")
        if status == 200 and health["generation"] == generation:
            return health
        time.sleep(0.05)
    raise AssertionError(f"generation {generation} not served after {timeout} s")


def run_checks(client, server, snap_a, snap_b):
    # /healthz
    status, health = client.call("GET", "/healthz")
    check(status == 200 and health["ok"] is True, f"/healthz: {status} {health}")
    check(health["snapshot"] == snap_a and health["generation"] == 1, health)
    check(health["users"] == USERS and health["arcs"] > 0, health)
    check(health["snapshot_bytes"] == os.path.getsize(snap_a), health)

    # /recommend, GET and POST answer alike
    status, got = client.call("GET", "/recommend?inviter=7&item=3&k=5")
    check(status == 200, f"GET /recommend: {status} {got}")
    s = got["suggestions"]
    check(0 < len(s) <= 5 and got["k"] == 5, got)
    check([x["rank"] for x in s] == list(range(1, len(s) + 1)), s)
    check(all(x["candidate"] != 7 and x["reasons"] for x in s), s)
    check(all(a["score"] >= b["score"] for a, b in zip(s, s[1:])), s)
    status, posted = client.call("POST", "/recommend", {"inviter": 7, "item": 3, "k": 5})
    check(status == 200 and posted["suggestions"] == s, posted)
    members = [x["candidate"] for x in s[:2]]
    status, team = client.call("POST", "/recommend", {
        "inviter": 7, "item": 3, "k": 5, "members": members, "team_size": 4,
        "ends_at": health["as_of"] + 3600, "category": 2})
    check(status == 200 and team["still_needed"] == 1, team)
    check(not {x["candidate"] for x in team["suggestions"]} & set(members), team)
    check(0 < team["urgency"] <= 1 and team["k"] >= 5, team)
    status, got = client.call("GET", "/recommend?inviter=7&item=3&members=%d,%d" %
                              tuple(members))
    check(status == 200 and not {x["candidate"] for x in got["suggestions"]} &
          set(members), got)

    # bad requests name the field; an unknown inviter is a 404
    client.expect_error(400, "inviter", "POST", "/recommend", {"item": 3})
    client.expect_error(400, "item", "GET", "/recommend?inviter=7")
    client.expect_error(400, "k", "POST", "/recommend", {"inviter": 7, "item": 3, "k": -1})
    client.expect_error(400, "k", "GET", "/recommend?inviter=7&item=3&k=abc")
    client.expect_error(400, "members[1]", "POST", "/recommend",
                        {"inviter": 7, "item": 3, "members": [1, "x"]})
    client.expect_error(400, "inviter", "POST", "/recommend", {"inviter": 1.5, "item": 3})
    client.expect_error(400, "body", "POST", "/recommend", raw="{not json")
    client.expect_error(400, None, "POST", "/recommend", [1, 2])
    client.expect_error(404, "inviter", "GET", "/recommend?inviter=1000000000&item=3")
    for path in ("/nope", "/%FF%FE"):  # the second echoes bytes that are not UTF-8
        status, got = client.call("GET", path)
        check(status == 404 and "error" in got, f"{path}: {status} {got}")

    # /outcome and /feedback
    invitee = s[0]["candidate"]
    t = health["as_of"]
    status, got = client.call("POST", "/outcome", {"outcomes": [
        {"inviter": 7, "invitee": invitee, "item": 3, "ts": t, "outcome": "sent"},
        {"inviter": 7, "invitee": invitee, "item": 3, "ts": t + 60, "outcome": "accepted"},
    ]})
    check(status == 200 and got == {"applied": 2, "unknown_invitees": 0}, got)
    status, got = client.call("POST", "/outcome", {"inviter": 7, "invitee": 10**9, "item": 3,
                                                   "ts": t, "outcome": "sent"})
    check(status == 200 and got["unknown_invitees"] == 1, got)
    client.expect_error(400, "outcomes[0].outcome", "POST", "/outcome",
                        {"inviter": 7, "invitee": 8, "item": 3, "ts": t, "outcome": "maybe"})
    client.expect_error(400, "outcomes[1].ts", "POST", "/outcome", {"outcomes": [
        {"inviter": 7, "invitee": 8, "item": 3, "ts": t, "outcome": "sent"},
        {"inviter": 7, "invitee": 8, "item": 3, "outcome": "sent"}]})
    status, got = client.call("POST", "/outcome", {"inviter": 7, "invitee": 7, "item": 3,
                                                   "ts": t, "outcome": "sent"})
    check(status == 400 and "invitee" in got["error"], got)
    status, fb = client.call("GET", f"/feedback?user={invitee}")
    check(status == 200 and fb["successes"] == 1 and fb["fatigue"] > 0, fb)
    check(fb["recent_sends"] == [{"window_seconds": 86400, "max": 2, "sends": 1}], fb)

    # /reserve under the server's --cap 86400:2: two grants for one recipient, then no
    u = 2500
    status, got = client.call("POST", "/reserve",
                              {"inviter": 7, "invitees": [u, u], "item": 3, "ts": t})
    check(status == 200 and got == {"granted": [True, True]}, f"/reserve: {status} {got}")
    status, got = client.call("POST", "/reserve",
                              {"inviter": 8, "invitees": [u, u + 1], "item": 4, "ts": t + 1})
    check(status == 200 and got == {"granted": [False, True]}, f"/reserve: {status} {got}")
    status, fb = client.call("GET", f"/feedback?user={u}")
    check(status == 200 and fb["recent_sends"][0]["sends"] == 2 and fb["fatigue"] > 0, fb)
    client.expect_error(400, "invitees", "POST", "/reserve", {"inviter": 7, "item": 3})
    client.expect_error(400, "invitees[1]", "POST", "/reserve",
                        {"inviter": 7, "invitees": [1, "x"], "item": 3, "ts": t})
    client.expect_error(400, "ts", "POST", "/reserve",
                        {"inviter": 7, "invitees": [1], "item": 3, "ts": "soon"})
    client.expect_error(404, "invitees", "POST", "/reserve",
                        {"inviter": 7, "invitees": [1, 10**9], "item": 3, "ts": t})
    status, got = client.call("POST", "/reserve",
                              {"inviter": 7, "invitees": [7], "item": 3, "ts": t})
    check(status == 400 and "invitee" in got["error"], got)
    status, fb = client.call("GET", "/feedback?user=1")
    check(status == 200 and fb["recent_sends"][0]["sends"] == 0, f"a refused batch applied: {fb}")

    # /state: the default journal
    status, state = client.call("GET", "/state")
    check(status == 200 and state["backend"] == "journal" and
          state["spec"] == "journal:invitegraph-state", state)
    check(state["replayed_events"] == 0 and state["dropped_records"] == 0, state)

    # reload to another snapshot while requests run: none may fail
    report = load_test.run("127.0.0.1", client.port, rate=150, duration=4,
                           reload_at=2, reload_path=snap_b, connections=8)
    print(json.dumps(report))
    check(report["errors"] == 0 and report["ok"] == report["requests"], report)
    check(report["reload"]["status"] == 200, report["reload"])
    check(report["generations_served"] == [1, 2], report)
    health = wait_generation(client, 2)
    check(health["snapshot"] == snap_b, health)
    status, fb = client.call("GET", f"/feedback?user={invitee}")
    check(status == 200 and fb["successes"] == 1, f"outcomes did not carry over: {fb}")

    # SIGHUP re-reads the file being served
    server.send_signal(signal.SIGHUP)
    health = wait_generation(client, 3)
    check(health["snapshot"] == snap_b, health)

    # a bad reload keeps the current graph serving
    client.expect_error(400, "path", "POST", "/reload", {"path": snap_a + ".missing"})
    client.expect_error(400, "path", "POST", "/reload", {"path": 5})
    with open(snap_a + ".bad", "wb") as f:
        f.write(b"not a snapshot")
    client.expect_error(400, "path", "POST", "/reload", {"path": snap_a + ".bad"})
    status, health = client.call("GET", "/healthz")
    check(status == 200 and health["generation"] == 3, health)
    status, got = client.call("GET", "/recommend?inviter=7&item=3")
    check(status == 200 and got["generation"] == 3, got)
    req = health["requests"]
    # the reload with a non-string path is refused before it counts as one
    check(req["server_errors"] == 0 and req["reload"] == 4, req)
    check(req["reserve"] == 7 and health["state"] == "journal:invitegraph-state", health)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True)
    p.add_argument("--make-snapshot", required=True)
    p.add_argument("--workdir", required=True)
    args = p.parse_args()
    args.workdir = os.path.abspath(args.workdir)
    os.makedirs(args.workdir, exist_ok=True)
    # The default journal of an earlier run would replay its sends into this one.
    shutil.rmtree(os.path.join(args.workdir, "invitegraph-state"), ignore_errors=True)
    snap_a = os.path.join(args.workdir, "a.snap")
    snap_b = os.path.join(args.workdir, "b.snap")
    make_snapshot(args.make_snapshot, snap_a, seed=1)
    make_snapshot(args.make_snapshot, snap_b, seed=2)

    # No --state: the default, a journal in ./invitegraph-state (the workdir here).
    server = subprocess.Popen([args.server, "--snapshot", snap_a, "--port", "0",
                               "--cap", "86400:2"],
                              stdout=subprocess.PIPE, text=True, cwd=args.workdir)
    try:
        line = server.stdout.readline()
        check(line.startswith("listening on http://127.0.0.1:"), f"server said {line!r}")
        check("state journal: journal:invitegraph-state" in line,
              f"no state backend named: {line!r}")
        check(os.path.exists(os.path.join(args.workdir, "invitegraph-state", "LOCK")),
              "the default journal is not in the working directory")
        port = int(line.split(":")[2].split()[0])
        run_checks(Client(port), server, snap_a, snap_b)
        server.send_signal(signal.SIGTERM)
        check(server.wait(timeout=10) == 0, f"server exited with {server.returncode}")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    print("service test passed")


if __name__ == "__main__":
    main()
