#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs deps, builds, runs every
# meson test, and ends with one line "N passed, N failed". Exit status: 0 only if all pass.
# BUILD_DIR picks the build directory; extra arguments go to `meson setup`.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
if ! BUILD_DIR=$build bash "$root/examples/build.sh" "$@"; then
  echo "the build failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
meson test -C "$build" --no-rebuild --print-errorlogs ${MESON_TEST_ARGS:-} >"$build/test-output.txt" 2>&1
status=$?
grep -E '^ *[0-9]+/[0-9]+ ' "$build/test-output.txt" || true
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    test = json.loads(line)
    result = test["result"]
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
        # The end of what the failed test printed, each stream on its own, so that a long
        # stderr (logs, a sanitizer's report) does not hide the failed assertions.
        print(f"--- {test['name']}: {result} after {test['duration']:.0f} s")
        for stream, keep in (("stdout", 100), ("stderr", 60)):
            lines = (test.get(stream) or "").splitlines()
            if lines:
                print(f"--- its {stream}, the last {min(len(lines), keep)} of {len(lines)} lines:")
                print("\n".join(lines[-keep:]))
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
