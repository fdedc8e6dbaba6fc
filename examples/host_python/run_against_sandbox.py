#!/usr/bin/env python3
"""The Python host's test: starts the Threads sandbox, loads the plugin with minimal_host.py,
imports a token into the Python store, posts exactly once under an idempotency key (a second
call with the key reports the same post), reads the profile, and runs the conformance plugin
against the Python store.

    python3 run_against_sandbox.py THREADS_PLUGIN SANDBOX_EXE CONFORMANCE_PLUGIN
"""
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minimal_host as mh  # noqa: E402


def check(condition, what):
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


def main(plugin_path, sandbox_exe, conformance_path):
    with tempfile.TemporaryDirectory() as state:
        sandbox = subprocess.Popen([sandbox_exe, "--state-dir", state, "--listen", "127.0.0.1:0"],
                                   stdout=subprocess.PIPE, text=True)
        try:
            ready = json.loads(sandbox.stdout.readline())
            run(plugin_path, conformance_path, ready)
        finally:
            sandbox.send_signal(signal.SIGTERM)
            sandbox.wait(timeout=30)
    return 0


def run(plugin_path, conformance_path, sandbox):
    tls = ssl.create_default_context(cafile=sandbox["ca_file"])

    def control(path, body):
        request = urllib.request.Request(sandbox["base_url"] + path, method="POST",
                                         data=json.dumps(body).encode())
        with urllib.request.urlopen(request, context=tls) as answer:
            return json.load(answer)

    control("/__sandbox/users", {"username": "pyhost"})
    token = control("/__sandbox/tokens", {"username": "pyhost"})["access_token"]

    plugin = mh.LoadedPlugin(plugin_path)
    check(plugin.name == "threads", "the plugin names itself threads")
    check(any(a["name"] == "post" for a in plugin.manifest["actions"]), "the manifest lists post")
    services = mh.Services(plugin.name, log_level=mh.LOG_WARN)
    config = json.dumps({"graph_base_url": sandbox["base_url"], "oauth_base_url":
                         sandbox["base_url"], "ca_file": sandbox["ca_file"]})
    instance = plugin.start(services, config.encode())
    try:
        instance.invoke("import_token", json.dumps({"account": "py", "access_token": token}))
        stored = [k for k in services.secrets if k.startswith(b"threads/accounts/py")]
        check(stored, "import_token kept the account in the Python store")
        check(token.encode() not in b"".join(k for k in services.secrets), "no token in a key")

        first = instance.invoke("post", '{"text": "Hello from a Python host"}', account="py",
                                idempotency_key="py-hello-1")
        check(first.get("id"), f"post published {first.get('id')}")
        again = instance.invoke("post", '{"text": "Hello from a Python host"}', account="py",
                                idempotency_key="py-hello-1")
        check(again.get("id") == first["id"] and again.get("resumed"),
              "the same key reports the same post instead of posting twice")
        profile = instance.invoke("profile", "{}", account="py")
        check(profile.get("username") == "pyhost", "profile reads the account's user")
        try:
            instance.invoke("post", '{"text": "x"}', account="py", idempotency_key="bad key")
            check(False, "a bad idempotency key is refused")
        except mh.PluginError as e:
            check(e.status == mh.INVALID_INPUT and "bad key" in e.body,
                  "a bad idempotency key is invalid_input naming it")
    finally:
        instance.close()

    conformance = mh.LoadedPlugin(conformance_path)
    store = mh.Services(conformance.name)
    checker = conformance.start(store)
    try:
        report = checker.invoke("check", '{"prefix": "conformance/"}')
        check(report["failed"] == 0 and report["skipped"] == 0,
              f"the Python store passes all {report['passed']} conformance checks")
    except mh.PluginError as e:
        failed = [c for c in json.loads(e.body).get("checks", []) if c["result"] == "fail"]
        check(False, "the Python store passes the conformance checks: " + json.dumps(failed))
    finally:
        checker.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
