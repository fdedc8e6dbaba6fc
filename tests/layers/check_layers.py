#!/usr/bin/env python3
"""Checks the layer rules of autohost from the #include lines of host/ and plugin/.

Each file belongs to a layer (its folder, or a named group of root files) and may include
only the layers below it: the plugin never includes the host, jobs/ does not include
actions/, only the CLI uses the daemon, the store and the scheduler know nothing of plugins.
Quoted includes are relative to host/ or plugin/ ("store/sqlite.hpp"), never "../".
Prints each broken rule with file:line and exits 1 if there is any.
Usage: check_layers.py SOURCE_ROOT
"""
import os
import re
import sys

# layer -> the layers it may include (itself included).
HOST = {
    "base": {"base"},
    "store": {"base", "store"},
    "plugins": {"base", "store", "plugins"},
    "scheduler": {"base", "store", "scheduler"},
    "daemon": {"base", "store", "plugins", "scheduler", "daemon"},
    "cli": {"base", "store", "plugins", "scheduler", "daemon", "cli"},
    "main": {"cli"},
}
HOST_ROOT_FILES = {
    "errors": "base", "log": "base", "process_guard": "base",
    "capabilities": "plugins", "plugin_errors": "plugins", "plugin_registry": "plugins",
    "plugin_trust": "plugins",
    "plugin_counters": "plugins",
    "secret_scope": "plugins",
    "services": "plugins",
    "started_plugin": "plugins",
    "wipe": "plugins",
    "main": "main",
}
PLUGIN = {
    "config": {"config"},
    "http": {"http"},
    "graph": {"config", "http", "graph"},
    "auth": {"config", "http", "graph", "auth"},
    "context": {"config", "http", "graph", "auth", "context"},
    "actions": {"config", "http", "graph", "auth", "context", "actions"},
    "jobs": {"config", "http", "graph", "auth", "context", "jobs"},
    "top": {"config", "http", "graph", "auth", "context", "actions", "jobs", "top"},
}
PLUGIN_ROOT_FILES = {
    "config": "config", "plain_number": "config", "json_text": "config",
    "action_context": "context",
    "threads_plugin": "top", "entry": "top", "manifest": "top", "json_src": "top",
}
# Public headers of autohost that belong to one side of the seam only.
HOST_ONLY_API = {"autohost/host.hpp"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of(rel, root_files):
    """The layer of a path relative to host/ or plugin/ (None: not a source file)."""
    parts = rel.split("/")
    if len(parts) > 1:
        return parts[0]
    return root_files.get(os.path.splitext(parts[0])[0])


def check_tree(root, side, rules, root_files, problems):
    base = os.path.join(root, side)
    for folder, _, files in os.walk(base):
        for name in sorted(files):
            if not name.endswith((".cpp", ".hpp", ".h", ".c")):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, base)
            layer = layer_of(rel, root_files)
            if layer not in rules:
                problems.append(f"{side}/{rel}: in no layer; add it to tests/layers/check_layers.py")
                continue
            with open(path, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    where = f"{side}/{rel}:{number}"
                    kind, target = m.groups()
                    if kind == "<":
                        if side == "plugin" and target in HOST_ONLY_API:
                            problems.append(f"{where}: the plugin includes the host's <{target}>")
                        continue
                    if target.startswith("../") or "/../" in target:
                        problems.append(f"{where}: \"{target}\" climbs out of its folder; "
                                        f"include relative to {side}/")
                        continue
                    if not os.path.exists(os.path.join(base, target)):
                        other = "host" if side == "plugin" else "plugin"
                        if os.path.exists(os.path.join(root, other, target)):
                            problems.append(f"{where}: {side}/ includes {other}/{target}")
                        elif os.path.exists(os.path.join(folder, target)):
                            problems.append(f"{where}: \"{target}\" is relative to its folder; "
                                            f"include it relative to {side}/")
                        continue  # generated or from a dependency
                    to = layer_of(target, root_files)
                    if to not in rules[layer]:
                        problems.append(f"{where}: {layer} may not include {to} (\"{target}\")")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../..")
    problems = []
    check_tree(root, "host", HOST, HOST_ROOT_FILES, problems)
    check_tree(root, "plugin", PLUGIN, PLUGIN_ROOT_FILES, problems)
    for p in problems:
        print(p)
    if problems:
        print(f"layers: {len(problems)} include(s) break the layer rules", file=sys.stderr)
        return 1
    print("layers: every include of host/ and plugin/ keeps to the layer rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
