"""Concurrency and size (issue 16), for run.py: plugin calls from 4 and 16 host threads on
one instance against wrk with as many connections, and the refresh sweep over 100,000
accounts with its peak RSS against wrk -c16 measured right after it.
"""
from common import PROFILE_PATH, cpu_row, paired_rounds, pct, refresh_path


def concurrent_reads(bench, calls, threads=(4, 16)):
    """threads.profile from N threads of one process on one plugin instance (as a daemon's
    workers call it), against wrk -cN on the same request, each pair measured back to back."""
    token = bench.issue()
    home, config, env = bench.home("concurrent")
    bench.in_process(home, config, env, "import_token",
                     [{"account": "bench", "access_token": token}])
    bench.raw["concurrent"] = {}
    for n in threads:
        plugin, ceiling, ratio, ratios = paired_rounds(
            bench.rounds,
            lambda: bench.in_process(home, config, env, "profile", [{}] * calls,
                                     account="bench", threads=n),
            lambda: bench.wrk(PROFILE_PATH, n, token=token))
        bench.raw["concurrent"][n] = {"plugin": plugin, "wrk": ceiling, "round_ratios": ratios}
        w = ceiling["calls_per_s"]
        bench.row("1 concurrent reads", f"plugin calls/s, {n} host threads, one instance",
                  f"{plugin['calls_per_s']:.0f}", f"wrk -c{n} {w:.0f}", ratio, ">= 70 %")
        bench.row("1 concurrent reads", f"{n} threads: p50 / p99 latency",
                  f"{plugin['p50_ms']:.2f} / {plugin['p99_ms']:.2f} ms",
                  f"wrk {ceiling['p50_ms']:.2f} / {ceiling['p99_ms']:.2f} ms")
        bench.row("1 concurrent reads",
                  *cpu_row(plugin, ceiling, f"wrk -c{n}", f"{n} threads: CPU a call"))
        bench.raw["concurrent"][n]["wrk_slowed"] = bench.cpu_matched_row(
            "1 concurrent reads", f"{n} threads: wrk -c{n} spending the plugin's extra CPU",
            plugin, ceiling, PROFILE_PATH, n, token)


def big_sweep(bench, accounts, concurrency=16):
    """One refresh_tokens job over `accounts` accounts all due: refreshes/s against wrk -c16
    on the refresh endpoint right after it, and the job's peak RSS. When the 10,000-account
    sweep ran before it, also its rate and CPU a refresh against that sweep's: the sandbox
    keeps every token it issued and has spent more CPU a refresh over the big sweep, so it is
    the plugin's CPU a refresh that says whether the sweep slows with the number of accounts."""
    tokens, seconds, report, max_rss_kb = bench.timed_sweep("big-sweep", accounts)
    rate = accounts / seconds
    cpu = bench.raw.pop("big-sweep_cpu")
    ceiling = bench.wrk(refresh_path(tokens[0]), concurrency)
    bench.raw["big_sweep"] = {"accounts": accounts, "seconds": seconds,
                              "max_rss_kb": max_rss_kb, "wrk": ceiling, **cpu}
    w = ceiling["calls_per_s"]
    bench.row("2 refresh sweep", f"{accounts} accounts: wall time", f"{seconds:.1f} s",
              f"concurrency {concurrency}")
    bench.row("2 refresh sweep", f"{accounts} accounts: refreshes/s", f"{rate:.0f}",
              f"wrk -c{concurrency} {w:.0f}", pct(rate, w), ">= 70 %")
    small = bench.raw.get("sweep")
    if small:
        name = f"{small['accounts']} accounts"
        bench.row("2 refresh sweep", f"{accounts} accounts: refreshes/s against {name}",
                  f"{rate:.0f}", f"{name} {small['calls_per_s']:.0f}",
                  pct(rate, small["calls_per_s"]), "no lower")
        bench.row("2 refresh sweep", *cpu_row(cpu, bench.raw["sweep_cpu"], name,
                                              f"{accounts} accounts: CPU a refresh"))
    bench.row("2 refresh sweep", f"{accounts} accounts: peak RSS",
              f"{max_rss_kb / 1024:.1f} MB", "", "", "< 64 MB")
