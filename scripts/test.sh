#!/usr/bin/env bash
# The README's test command: installs what is missing, builds every flavour, and runs all tests:
#   1. unit tests (release build)              ctest -L unit
#   2. unit tests under ASan+UBSan             build-asan, ctest -L unit
#   3. kernel integration tests (root)         ctest -L integration
#   4. runc-vs-runsee conformance suite        ctest -L conformance
#   5. end-to-end suites on a private containerd  ctest -L e2e
#   6. every fuzz target for FUZZ_SECONDS (default 30) on its seed corpus
# Ends with one line "N passed, N failed" over all stages; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

bash scripts/install-deps.sh || exit 1
bash scripts/build.sh release asan fuzz || { echo "test.sh: build failed" >&2; exit 1; }
if [[ -x scripts/images.sh ]] || [[ -f scripts/images.sh ]]; then
  bash scripts/images.sh || { echo "test.sh: image build failed" >&2; exit 1; }
fi

total_pass=0
total_fail=0
failed_stages=()

# run_ctest <stage> <build dir> <ctest args...>: adds the stage's counts to the totals.
run_ctest() {
  local stage=$1 dir=$2; shift 2
  local log
  log=$(mktemp)
  echo "=== $stage ==="
  ctest --test-dir "$dir" --output-on-failure --no-tests=ignore "$@" 2>&1 | tee "$log"
  local line pass=0 fail=0 total=0
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [[ -n $line ]]; then
    fail=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
    pass=$((total - fail))
  fi
  rm -f "$log"
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  ((fail == 0)) || failed_stages+=("$stage")
  echo "--- $stage: $pass passed, $fail failed"
}

run_fuzzers() {
  local list=build-fuzz/fuzz_targets.txt
  echo "=== fuzz (${FUZZ_SECONDS}s per target) ==="
  [[ -f $list ]] || { echo "no fuzz targets"; return; }
  while read -r name corpus; do
    [[ -n $name ]] || continue
    local work
    work=$(mktemp -d)
    [[ -d $corpus ]] && cp -r "$corpus"/. "$work"/
    if "build-fuzz/bin/$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
         -artifact_prefix="$ROOT/build-fuzz/$name-" "$work" >"build-fuzz/$name.log" 2>&1; then
      echo "fuzz $name: ok ($(grep -c . <(ls "$work")) corpus entries)"
      total_pass=$((total_pass + 1))
    else
      echo "fuzz $name: FAILED — see build-fuzz/$name.log"; tail -30 "build-fuzz/$name.log"
      total_fail=$((total_fail + 1))
      failed_stages+=("fuzz:$name")
    fi
    rm -rf "$work"
  done <"$list"
}

run_ctest "unit" build -L unit -j "$(nproc)"
run_ctest "unit (ASan+UBSan)" build-asan -L unit -j "$(nproc)"
run_ctest "integration" build -L integration
run_ctest "conformance" build -L conformance
run_ctest "e2e" build -L e2e
run_fuzzers

echo
if ((${#failed_stages[@]})); then
  echo "failed stages: ${failed_stages[*]}"
fi
echo "$total_pass passed, $total_fail failed"
((total_fail == 0))
