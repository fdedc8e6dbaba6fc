#!/usr/bin/env python3
"""The Python peer: what a hand-rolled script does with requests.Session.

  requests_peer.py reads   --base URL --ca FILE --token T --calls N
  requests_peer.py refresh --base URL --ca FILE --tokens FILE --concurrency C

`reads` makes N sequential GET /v1.0/me calls on one keep-alive session; `refresh`
refreshes every token in FILE (one per line) with C threads, one session each. Prints one
JSON line: calls, ok, seconds, calls_per_s, p50_ms, p99_ms.
"""
import argparse
import concurrent.futures
import json
import threading
import time

import requests

PROFILE_FIELDS = "id,username,name,threads_profile_picture_url,threads_biography,is_verified"


def new_session(ca):
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify; no proxies
    session.verify = ca
    return session


def summary(latencies, ok, seconds):
    ordered = sorted(latencies)
    pick = lambda p: ordered[int(p * (len(ordered) - 1))] * 1000 if ordered else 0
    return {"calls": len(latencies), "ok": ok, "seconds": seconds,
            "calls_per_s": len(latencies) / seconds if seconds else 0,
            "p50_ms": pick(0.50), "p99_ms": pick(0.99)}


def reads(args):
    session = new_session(args.ca)
    session.headers["Authorization"] = "Bearer " + args.token
    url = args.base + "/v1.0/me"
    latencies, ok = [], 0
    begun = time.perf_counter()
    for _ in range(args.calls):
        t0 = time.perf_counter()
        answer = session.get(url, params={"fields": PROFILE_FIELDS}, timeout=30)
        latencies.append(time.perf_counter() - t0)
        ok += answer.status_code == 200 and "id" in answer.json()
    return summary(latencies, ok, time.perf_counter() - begun)


def refresh(args):
    with open(args.tokens) as f:
        tokens = [line.strip() for line in f if line.strip()]
    local = threading.local()

    def one(token):
        if not hasattr(local, "session"):
            local.session = new_session(args.ca)
        t0 = time.perf_counter()
        answer = local.session.get(args.base + "/refresh_access_token",
                                   params={"grant_type": "th_refresh_token",
                                           "access_token": token}, timeout=30)
        good = answer.status_code == 200 and "access_token" in answer.json()
        return time.perf_counter() - t0, good

    begun = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        results = list(pool.map(one, tokens))
    seconds = time.perf_counter() - begun
    return summary([r[0] for r in results], sum(r[1] for r in results), seconds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["reads", "refresh"])
    parser.add_argument("--base", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--token")
    parser.add_argument("--tokens")
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(reads(args) if args.mode == "reads" else refresh(args)))


if __name__ == "__main__":
    main()
