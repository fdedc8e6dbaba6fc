#!/usr/bin/env python3
"""Embeds plugin/manifest.json into a C++ source as `threads::manifest_json`.

Checks that the file is valid JSON first, so a broken manifest fails the build, not a user.
Usage: embed_manifest.py INPUT OUTPUT VERSION
"""
import json
import sys

source, output, version = sys.argv[1:4]
with open(source, encoding="utf-8") as f:
    text = f.read().replace("@VERSION@", version)
manifest = json.loads(text)
compact = json.dumps(manifest, separators=(",", ":"), ensure_ascii=False)
delimiter = "manifest"
assert f"){delimiter}\"" not in compact
with open(output, "w", encoding="utf-8") as f:
    f.write("// Generated from plugin/manifest.json by embed_manifest.py; do not edit.\n")
    f.write('#include "manifest.hpp"\n\nnamespace threads {\n\n')
    f.write(f'const char manifest_json[] = R"{delimiter}({compact}){delimiter}";\n\n')
    f.write("} // namespace threads\n")
