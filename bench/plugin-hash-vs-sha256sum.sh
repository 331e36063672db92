#!/usr/bin/env bash
# Times plugin-hash against sha256sum on the same 256 MiB file, warm in the
# page cache, and prints the best of N runs of each and the ratio
# (target: plugin-hash at least 2x faster).
# Usage: bench/plugin-hash-vs-sha256sum.sh [PATH/TO/plugin-hash] [RUNS]
set -euo pipefail
PH=${1:-build-whitelist/plugin-hash/plugin-hash}
RUNS=${2:-5}
SIZE_MIB=256
[[ -x $PH ]] || { echo "no plugin-hash at $PH (build it, or pass its path)" >&2; exit 2; }

FILE=$(mktemp "${TMPDIR:-/tmp}/plugin-hash-bench.XXXXXX")
trap 'rm -f "$FILE"' EXIT
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$FILE"
cat "$FILE" >/dev/null  # warm the page cache: measure hashing, not the disk

# The two must agree before their speeds mean anything.
ours=$("$PH" --name bench "$FILE" | cut -d' ' -f1)
theirs=$(sha256sum "$FILE" | cut -d' ' -f1)
[[ $ours == "$theirs" ]] || { echo "digests differ: $ours vs $theirs" >&2; exit 1; }

# best_ns CMD...: the fastest of RUNS wall-clock runs, in nanoseconds.
best_ns() {
  local best=0 start end t
  for ((i = 0; i < RUNS; i++)); do
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    t=$((end - start))
    if ((best == 0 || t < best)); then best=$t; fi
  done
  echo "$best"
}

ph_ns=$(best_ns "$PH" --name bench "$FILE")
ss_ns=$(best_ns sha256sum "$FILE")
mb=$((SIZE_MIB * 1024 * 1024))
awk -v ph="$ph_ns" -v ss="$ss_ns" -v mb="$mb" -v runs="$RUNS" -v size="$SIZE_MIB" 'BEGIN {
  printf "file: %d MiB, cached; best of %d runs each\n", size, runs
  printf "plugin-hash  %7.3f s  %6.0f MB/s\n", ph / 1e9, mb / (ph / 1e9) / 1e6
  printf "sha256sum    %7.3f s  %6.0f MB/s\n", ss / 1e9, mb / (ss / 1e9) / 1e6
  printf "plugin-hash is %.2fx as fast as sha256sum (target: >= 2x)\n", ss / ph
}'
