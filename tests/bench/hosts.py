"""Several hosts on PostgreSQL (issue 13), for run.py: runs claimed and completed per second
with 1, 2 and 4 daemons on one PostgreSQL store beside one daemon on SQLite, and the refresh
sweep on PostgreSQL beside SQLite, all in the same run against the same sandbox.

The server is a throw-away cluster held by tests/support/pg-cluster-hold (the one the tests
use: its own directory and socket, removed when the holder gets SIGTERM); each case gets a
database of its own.
"""
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path


class Cluster:
    def __init__(self, build, work):
        self.ready = Path(work) / "pg-ready"
        self.holder = subprocess.Popen(
            [str(Path(build) / "tests" / "support" / "pg-cluster-hold"), str(self.ready)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 120
        while not self.ready.exists():
            if self.holder.poll() is not None or time.time() > deadline:
                sys.exit("the PostgreSQL cluster did not start: " + self.holder.stderr.read())
            time.sleep(0.2)
        self.url = self.ready.read_text().splitlines()[2]
        self.made = 0

    def database(self):
        """The URL of a new, empty database in the cluster."""
        self.made += 1
        name = f"bench_{self.made}"
        subprocess.run(["psql", "-q", "-X", self.url, "-c", f"CREATE DATABASE {name}"],
                       check=True, stdout=subprocess.DEVNULL)
        return self.url.replace("/autohost_test?", f"/{name}?")

    def close(self):
        self.holder.send_signal(signal.SIGTERM)
        self.holder.wait(60)


def finished_runs(logs):
    """(run id, finish time in Unix seconds, log level) of every "run finished" line."""
    done = []
    for log in logs:
        for line in Path(log).read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("msg") == "run finished":
                ts = datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).timestamp()
                done.append((event.get("run", ""), ts, event.get("level", "")))
    return done


def runs_per_second(bench, name, store, daemons, count, lead_s=15):
    """`count` cheap runs (threads.profile) all due at one second, done by `daemons` daemons
    (own processes and state directories) on `store` (None: the home's SQLite file). Returns
    runs claimed and completed per second, from the due instant to the last "run finished"
    in the daemons' logs; exits when a run is missing, failed or was done twice."""
    home, config, env = bench.home(name)
    if store:
        env["AUTOHOST_STORE"] = store
    bench.in_process(home, config, env, "import_token",
                     [{"account": "hosts", "access_token": bench.issue()}])
    due = int(time.time()) + lead_s  # time to import and start the daemons
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(due))
    calendar = {"account": "hosts", "action": "profile",
                "posts": [{"id": f"h{i}", "at": at} for i in range(count)]}
    (home / "due.json").write_text(json.dumps(calendar))
    subprocess.run([str(bench.autohost), "schedule", "import", str(home / "due.json")],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    logs, running = [], []
    for d in range(daemons):
        mine = dict(env)
        if store:  # a host of its own: nothing shared but the store
            mine["AUTOHOST_STATE_DIR"] = str(home / f"state{d}")
            (home / f"state{d}").mkdir(mode=0o700)
        logs.append(home / f"daemon{d}.log")
        with open(logs[-1], "w") as log:
            running.append(subprocess.Popen(
                [str(bench.autohost), "--log-level", "info", "run"], env=mine,
                stdout=subprocess.DEVNULL, stderr=log))
    done = []
    while time.time() < due + 300 and len(done) < count:
        time.sleep(1)
        done = finished_runs(logs)
    for daemon in running:
        daemon.terminate()
    for daemon in running:
        daemon.wait(60)
    ids = {run for run, _, _ in done}
    failed = [run for run, _, level in done if level != "info"]
    if len(done) != count or len(ids) != count or failed:
        sys.exit(f"{name}: {len(done)} runs finished ({len(ids)} distinct, {len(failed)} "
                 f"not ok) of {count}; logs in {home}")
    last = max(ts for _, ts, _ in done)
    return count / max(last - due, 0.001)


def measure(bench, runs, accounts):
    cluster = Cluster(bench.build, bench.work)
    try:
        sqlite = runs_per_second(bench, "hosts-sqlite", None, 1, runs)
        bench.row("6 hosts", f"{runs} runs due at one second: runs/s, 1 daemon, SQLite",
                  f"{sqlite:.0f}")
        figures = {"sqlite_1": sqlite}
        for daemons in (1, 2, 4):
            rate = runs_per_second(bench, f"hosts-pg-{daemons}", cluster.database(), daemons,
                                   runs)
            figures[f"postgres_{daemons}"] = rate
            bench.row("6 hosts", f"the same, {daemons} daemon{'s' if daemons > 1 else ''}, "
                      "PostgreSQL", f"{rate:.0f}", f"SQLite {sqlite:.0f}", pct(rate, sqlite))
        _, on_sqlite, _, _ = bench.timed_sweep("hosts-sweep-sqlite", accounts)
        _, on_pg, _, _ = bench.timed_sweep("hosts-sweep-pg", accounts, cluster.database())
        figures.update(sweep_sqlite_s=on_sqlite, sweep_postgres_s=on_pg)
        bench.row("6 hosts", f"{accounts} accounts refresh sweep: refreshes/s, SQLite",
                  f"{accounts / on_sqlite:.0f}")
        bench.row("6 hosts", "the same sweep, PostgreSQL", f"{accounts / on_pg:.0f}",
                  f"SQLite {accounts / on_sqlite:.0f}", pct(on_sqlite, on_pg))
        bench.raw["hosts"] = figures
    finally:
        cluster.close()


def pct(value, reference):
    return f"{100 * value / reference:.0f} %" if reference else ""
