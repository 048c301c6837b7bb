#!/usr/bin/env bash
# Fuzzing with cargo-fuzz (libFuzzer, AddressSanitizer) on the stable
# toolchain (RUSTC_BOOTSTRAP=1 unlocks the sanitizer and coverage flags).
#
#   scripts/fuzz.sh smoke [SECONDS]    every target for SECONDS (default 10)
#                                      from the checked-in corpus, after
#                                      replaying fuzz/regressions
#   scripts/fuzz.sh TARGET [SECONDS]   one campaign (default 1200 s); the
#                                      corpus grows in build/fuzz/TARGET,
#                                      findings land in build/fuzz/artifacts
#   scripts/fuzz.sh all [SECONDS]      a campaign per target, one per core
#   scripts/fuzz.sh seeds              recaptures fuzz/corpus from real peers
#                                      (needs build/stage and build/venv, as
#                                      after scripts/test.sh) and minimises it
#   scripts/fuzz.sh list               the targets
#
# Each campaign ends with libFuzzer's last status line: executions (#N),
# coverage (cov: edges, ft: features) and corpus size. An input that runs
# for more than 5 seconds is a finding too (-timeout=5).
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install --quiet --locked cargo-fuzz
work="$PWD/build/fuzz"
mkdir -p "$work/artifacts" "$work/smoke"

targets() { (cd fuzz && cargo fuzz list); }

build() { (cd fuzz && cargo fuzz build -O --debug-assertions "$@" 2>&1 | grep -v '^\s*Compiling' || true); }

# run TARGET SECONDS LOG CORPUS...: one libFuzzer run; its last status line.
run() {
  local target=$1 seconds=$2 log=$3
  shift 3
  mkdir -p "$work/artifacts/$target"
  if ! (cd fuzz && cargo fuzz run -O --debug-assertions "$target" "$@" -- \
      -max_total_time="$seconds" -timeout=5 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/$target/" >"$log" 2>&1); then
    tail -40 "$log"
    echo "FINDING in $target: see $log and $work/artifacts/$target" >&2
    return 1
  fi
  local execs cov
  execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -aE '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]* ft: [0-9]*' || echo 'cov: ?')
  printf '%-16s %10s execs in %5ss  %s\n' "$target" "$execs" "$seconds" "$cov"
}

# Replays every kept finding of TARGET (a regression test each).
replay() {
  local target=$1 dir="fuzz/regressions/$1"
  [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] || return 0
  (cd fuzz && cargo fuzz run -O --debug-assertions "$target" "../$dir"/* -- -runs=1 >"$work/smoke/$target.replay.log" 2>&1) \
    || { tail -40 "$work/smoke/$target.replay.log"; echo "REGRESSION in $target" >&2; return 1; }
  echo "$target: $(ls "$dir" | wc -l) regression inputs pass"
}

# A campaign: new inputs go to build/fuzz/TARGET, the checked-in corpus is
# read as well.
campaign() {
  local t=$1 seconds=$2
  mkdir -p "$work/$t"
  local corpora=("$work/$t")
  [ -d "fuzz/corpus/$t" ] && corpora+=("$PWD/fuzz/corpus/$t")
  run "$t" "$seconds" "$work/$t.log" "${corpora[@]}"
}

case "${1:-smoke}" in
  list) targets ;;
  smoke)
    seconds=${2:-10}
    build
    for t in $(targets); do
      replay "$t"
      # A scratch copy: a smoke run does not grow the checked-in corpus.
      rm -rf "$work/smoke/$t" && mkdir -p "$work/smoke/$t"
      [ -d "fuzz/corpus/$t" ] && cp -r "fuzz/corpus/$t/." "$work/smoke/$t/"
      run "$t" "$seconds" "$work/smoke/$t.log" "$work/smoke/$t"
    done
    ;;
  seeds)
    python=build/venv/bin/python
    [ -x "$python" ] && [ -f build/stage/lib/libopensspi.so ] \
      || { echo "run scripts/test.sh first (it makes build/venv and build/stage)" >&2; exit 1; }
    OPENSSPI_LIB="$PWD/build/stage/lib/libopensspi.so" "$python" fuzz/seeds/capture.py
    build
    for t in $(targets); do
      [ -d "fuzz/corpus/$t" ] || continue
      (cd fuzz && cargo fuzz cmin -O --debug-assertions "$t" "corpus/$t" >/dev/null 2>&1)
      echo "$t: $(ls "fuzz/corpus/$t" | wc -l) seeds after minimising"
    done
    ;;
  all)
    seconds=${2:-1200}
    build
    pids=()
    for t in $(targets); do
      while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 1; done
      campaign "$t" "$seconds" &
      pids+=($!)
    done
    failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    exit $failed
    ;;
  *)
    build
    campaign "$1" "${2:-1200}"
    ;;
esac
