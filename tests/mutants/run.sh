#!/usr/bin/env bash
# Kept mutants: applies each tests/mutants/*.patch in turn to a scratch copy of the tree,
# builds it, runs the tests its "Kill:" lines name, and fails unless every mutant is killed.
#
#   bash tests/mutants/run.sh [NAME...]     (default: every patch; NAME without .patch)
#
# A patch that no longer applies is reported STALE (and fails the run): refresh it against
# the current code. A mutant whose build fails is BROKEN (also a failure). The kill tests
# must pass on the unpatched copy first, or nothing is proven. MUTANTS_DIR is the scratch
# directory (default build-mutants in the tree, which git ignores); JOBS the build jobs.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/mutants
work=${MUTANTS_DIR:-$root/build-mutants}
src=$work/src
build=$src/build
logs=$work/logs
jobs=${JOBS:-2}
# Paths relative to the copy, so ccache reuses what other trees of this project compiled.
export CCACHE_BASEDIR=$src CCACHE_NOHASHDIR=1
mkdir -p "$src" "$logs"

patches=()
if [ $# -eq 0 ]; then
  patches=("$here"/*.patch)
else
  for name in "$@"; do
    [ -f "$here/$name.patch" ] || { echo "no mutant '$name' in $here" >&2; exit 2; }
    patches+=("$here/$name.patch")
  done
fi

# The copy: every file git knows (committed or not). Unchanged files keep their mtime, so
# only what a patch touches is rebuilt; a changed file gets a fresh one, so ninja rebuilds
# it even when it goes back to an older text (a run stopped mid-mutant leaves one
# behind). Files the tree no longer has are removed (a stale header would still be found).
sync_copy() {
  local listed=$work/files.txt
  (cd "$root" && git ls-files -z --cached --others --exclude-standard) >"$listed"
  while IFS= read -r -d '' f; do
    [ -f "$root/$f" ] || continue
    if ! cmp -s "$root/$f" "$src/$f"; then
      mkdir -p "$src/$(dirname "$f")"
      cp --preserve=mode "$root/$f" "$src/$f"
    fi
  done <"$listed"
  (cd "$src" && find . -path ./build -prune -o -type f -printf '%P\0') |
    sort -z | comm -z -23 - <(sort -z "$listed") |
    while IFS= read -r -d '' extra; do rm -f "$src/$extra"; done
}

build_copy() { # LOG
  ninja -C "$build" -j"$jobs" >"$1" 2>&1
}

# "Kill: SUITE CASE" lines: the meson test and the Boost test case (suite/case path).
kills_of() { sed -n 's/^Kill: *//p' "$1"; }

run_kill() { # MESON_TEST CASE LOG
  meson test -C "$build" --no-rebuild "$1" --test-args="--run_test=$2" >"$3" 2>&1
}

sync_copy
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" >"$logs/setup.log" 2>&1 || {
    echo "meson setup failed; see $logs/setup.log" >&2
    exit 1
  }
fi
echo "building the unpatched copy in $build" >&2
build_copy "$logs/baseline-build.log" || {
  echo "the unpatched copy does not build; see $logs/baseline-build.log" >&2
  exit 1
}

# Every kill test passes without a mutant.
declare -A baseline_checked=()
for patch in "${patches[@]}"; do
  while read -r test case; do
    key="$test $case"
    [ -n "${baseline_checked[$key]:-}" ] && continue
    baseline_checked[$key]=1
    if ! run_kill "$test" "$case" "$logs/baseline-$test-${case//\//_}.log"; then
      echo "BASELINE FAIL  $test $case fails without any mutant; see $logs" >&2
      exit 1
    fi
  done < <(kills_of "$patch")
done

failures=0
results=()
for patch in "${patches[@]}"; do
  name=$(basename "$patch" .patch)
  if ! (cd "$src" && patch -p1 --dry-run --silent -f <"$patch" >/dev/null 2>&1); then
    results+=("STALE     $name: the patch no longer applies; refresh it against the current code")
    failures=$((failures + 1))
    continue
  fi
  (cd "$src" && patch -p1 --silent -f <"$patch" >/dev/null)
  start=$(date +%s)
  if ! build_copy "$logs/$name-build.log"; then
    results+=("BROKEN    $name: the mutant does not build; see $logs/$name-build.log")
    failures=$((failures + 1))
  else
    killed_by=()
    survived=()
    while read -r test case; do
      if run_kill "$test" "$case" "$logs/$name-$test-${case//\//_}.log"; then
        survived+=("$test $case")
      else
        killed_by+=("$test $case")
      fi
    done < <(kills_of "$patch")
    took=$(($(date +%s) - start))
    if [ ${#killed_by[@]} -eq 0 ]; then
      results+=("SURVIVED  $name (${took}s): no test failed")
      failures=$((failures + 1))
    else
      line="KILLED    $name (${took}s) by: $(printf '%s; ' "${killed_by[@]}")"
      [ ${#survived[@]} -gt 0 ] && line+=" passed: $(printf '%s; ' "${survived[@]}")"
      results+=("$line")
    fi
  fi
  (cd "$src" && patch -p1 -R --silent -f <"$patch" >/dev/null)
done

printf '%s\n' "${results[@]}"
echo "${#patches[@]} mutants, $failures not killed (logs in $logs)"
[ $failures -eq 0 ]
