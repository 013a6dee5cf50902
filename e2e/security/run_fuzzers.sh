#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build, one at a time, each for SECONDS on a scratch copy
# of its seed corpus (libFuzzer writes new inputs into its first corpus directory), at nice 19.
# Prints one line per target: name, runs, corpus size before/after, findings (crash files).
#
#   e2e/security/run_fuzzers.sh FUZZ_BUILD_DIR [SECONDS] [TARGET...]
#   e2e/security/run_fuzzers.sh build-secfuzz 600            (the 10-minute runs of FUZZING.md)
# Findings (crash-*, leak-*, timeout-*) are kept under FUZZ_BUILD_DIR/fuzz-findings/<target>/.
set -euo pipefail
DIR=$(readlink -f "${1:?usage: run_fuzzers.sh FUZZ_BUILD_DIR [SECONDS] [TARGET...]}")
SECS=${2:-60}
shift $(($# >= 2 ? 2 : 1))
only=" $* "
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rc=0
while read -r name corpus; do
  [[ -n $name ]] || continue
  [[ $only == "  " || $only == *" $name "* ]] || continue
  bin=$DIR/bin/$name
  [[ -x $bin ]] || { echo "$name: not built"; rc=1; continue; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/see-fuzz-$name.XXXXXX")
  findings=$DIR/fuzz-findings/$name
  mkdir -p "$work/corpus" "$findings"
  cp -r "$corpus"/. "$work/corpus/" 2>/dev/null || true
  seeds=$(find "$work/corpus" -type f | wc -l)
  dict=()
  for d in "$(dirname "$corpus")/$name.dict" "$corpus.dict" "$(dirname "$corpus")"/*"${name%_fuzz}"*.dict; do
    [[ -f $d ]] && { dict=(-dict="$d"); break; }
  done
  start=$(date -u +%FT%TZ)
  nice -n 19 "$bin" "${dict[@]}" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/" "$work/corpus" >"$work/log" 2>&1 || true
  runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$work/log")
  after=$(find "$work/corpus" -type f | wc -l)
  crashes=$(find "$findings" -type f ! -name last.log | wc -l)
  echo "$name start=$start seconds=$SECS runs=${runs:-?} corpus=$seeds->$after findings=$crashes dict=${dict[*]:-none}"
  ((crashes == 0)) || { rc=1; grep -m3 -E 'ERROR|SUMMARY|==.*==' "$work/log" | sed "s/^/  $name: /"; }
  cp "$work/log" "$findings/last.log"
  rm -rf "$work"
done <"$DIR/fuzz_targets.txt"
exit $rc
