#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang-14, ASan+UBSan) and runs each for a bounded time.
# Usage: tests/fuzz/run.sh [SECONDS] [HARNESS...]   (default 20 s each, every harness)
#        tests/fuzz/run.sh --build-only               (configure and build, run nothing)
# FUZZ_JOBS harnesses run at a time (default: the number of cores).
# FUZZ_BUILD_DIR picks the build directory (default: build-fuzz). New inputs go to
# FUZZ_BUILD_DIR/fuzz-corpus/NAME (the committed corpus is only read); a crash is saved to
# FUZZ_BUILD_DIR/fuzz-artifacts/NAME/ and fails the run. Ends with "N passed, N failed".
# FUZZ_SEED fixes libFuzzer's random seed, so that a run from an empty FUZZ_BUILD_DIR corpus
# repeats the same inputs (CI does this); without it every run explores new ground.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
build_only=false
if [ "${1:-}" = --build-only ]; then
  build_only=true
  shift
fi
seconds=${1:-20}
shift || true
case $seconds in
'' | *[!0-9]*)
  echo "usage: tests/fuzz/run.sh [--build-only] [SECONDS] [HARNESS...]" >&2
  exit 2
  ;;
esac

bash "$root/examples/install-deps.sh" clang-14 libclang-rt-14-dev || exit 1
mkdir -p "$build"
log="$build/fuzz-build.log"
if [ ! -f "$build/build.ninja" ]; then
  echo "configuring $build" >&2
  # -O1 with line tables, one unity file per few sources: what libFuzzer needs (speed and
  # symbolised stack traces) in about 70 % of the build time of -O2 -g (298 s, was 426 s).
  if ! CC=clang-14 CXX=clang++-14 meson setup "$build" "$root" -Dfuzz=true \
    -Db_sanitize=address,undefined -Db_lundef=false -Dunity=on -Doptimization=1 -Ddebug=false \
    -Dc_args=-gline-tables-only -Dcpp_args=-gline-tables-only >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
fi
echo "building the harnesses in $build" >&2
start=$(date +%s)
if ! ninja -C "$build" -j"$(nproc)" fuzz >"$log" 2>&1; then
  tail -n 60 "$log" >&2
  echo "the fuzz build failed; the whole log is in $log" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
echo "built in $(($(date +%s) - start)) s" >&2
if $build_only; then
  exit 0
fi

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for dir in "$root"/tests/fuzz/corpus/*/; do
    harnesses+=("$(basename "$dir")")
  done
fi

seed=()
if [ -n "${FUZZ_SEED:-}" ]; then
  seed=(-seed="$FUZZ_SEED")
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Runs one harness; its report (one line, and on failure what it found) goes to
# $build/fuzz-NAME.report, and the exit status says whether it passed.
fuzz_one() {
  local name=$1
  local exe="$build/tests/fuzz/fuzz_$name"
  local corpus="$build/fuzz-corpus/$name"
  local artifacts="$build/fuzz-artifacts/$name/"
  local out="$build/fuzz-$name.log"
  rm -rf "$artifacts" # a crash from an earlier run is not this run's
  mkdir -p "$corpus" "$artifacts"
  # One process each (no -jobs: that forks a worker logging to ./fuzz-0.log); FUZZ_JOBS
  # harnesses side by side share the machine.
  "$exe" -max_total_time="$seconds" -timeout=10 "${seed[@]}" \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" \
    "$corpus" "$root/tests/fuzz/corpus/$name" >"$out" 2>&1
  local status=$?
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -n 1)
  if [ $status -eq 0 ]; then
    echo "ok   fuzz_$name: ${seconds} s, ${runs:-0} runs, corpus $(ls "$corpus" | wc -l) files"
    return 0
  fi
  echo "FAIL fuzz_$name (exit $status): input saved in $artifacts; log $out"
  # What the harness said before it died (an uncaught exception or a broken rule prints
  # above libFuzzer's own lines), and the input, so a CI log alone reproduces the find.
  grep -v -E '^(#[0-9]+|INFO:|MS:|base unit:|stat::|Done )' "$out" | head -n 25
  for crash in "$artifacts"*; do
    [ -f "$crash" ] || continue
    echo "input $(basename "$crash") ($(stat -c %s "$crash") bytes), base64:"
    head -c 4096 "$crash" | base64 -w 0
    echo
  done
  return 1
}

jobs=${FUZZ_JOBS:-$(nproc)}
running=0
for name in "${harnesses[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n
    running=$((running - 1))
  fi
  rm -f "$build/fuzz-$name.status"
  (
    fuzz_one "$name" >"$build/fuzz-$name.report"
    echo $? >"$build/fuzz-$name.status"
  ) &
  running=$((running + 1))
done
wait
passed=0 failed=0
for name in "${harnesses[@]}"; do
  cat "$build/fuzz-$name.report"
  if [ "$(cat "$build/fuzz-$name.status")" = 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
