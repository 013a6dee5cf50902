#!/usr/bin/env bash
# Benchmarks of see (never CTest tests). One entry point; each benchmark writes
# bench/results/<date>-<host>/<name>.md (raw data under raw/, not committed).
#
#   scripts/bench.sh runtime-start [OUT_DIR]    runsee vs runc vs crun: `run` of /bin/true, 100x
#   scripts/bench.sh all
# env: SEE_RUNSEE (path of runsee; default build/bin/runsee), SEE_BENCH_RUNS (default 100)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
what=${1:-all}
shift || true
case $what in
  runtime-start) exec "$ROOT/bench/runtime_start.sh" "$@" ;;
  all) "$ROOT/bench/runtime_start.sh" "$@" ;;
  *) echo "bench: unknown benchmark '$what' (runtime-start|all)" >&2; exit 2 ;;
esac
