#!/usr/bin/env bash
# Checks that every C and C++ file in the repository is formatted as .clang-format says.
# Prints each file that differs (with the diff clang-format would make) and exits 1 if any does.
# Debian 12's clang-format (14) is the reference; another version may format differently.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
if ! command -v clang-format >/dev/null; then
  echo "installing clang-format" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends clang-format >/dev/null; } ||
    { echo "format check: clang-format is not installed and could not be" >&2; exit 1; }
fi
bad=0
diff_out=$(mktemp)
trap 'rm -f "$diff_out"' EXIT
while IFS= read -r -d '' f; do
  if ! clang-format --style=file "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" - >"$diff_out"; then
    head -n 40 "$diff_out"
    bad=$((bad + 1))
  fi
done < <(git ls-files -z -- '*.c' '*.h' '*.cpp' '*.hpp')
if [ "$bad" -ne 0 ]; then
  echo "format check: $bad file(s) differ from .clang-format; run: git ls-files '*.[ch]' '*.[ch]pp' | xargs clang-format -i" >&2
  exit 1
fi
echo "format check: every C/C++ file is formatted ($(clang-format --version | grep -o 'version [0-9.]*'))"
