#!/usr/bin/env bash
# End-to-end launch of one binary: `stockade jail --dev` beside
# `bwrap --unshare-all` with a comparable read-only profile, and a bare run as
# the floor, N times each; prints the median wall time of each and the ratios.
#   bench/sandbox-vs-bwrap.sh [BINARY] [N]   (run from the build directory, or
#                                             set STOCKADE=path/to/stockade)
# bwrap comes from Debian's `bubblewrap` package; without it that row is skipped.
set -euo pipefail
binary=${1:-$(pwd)/bench/bench_exit0}
n=${2:-50}
stockade=${STOCKADE:-$(pwd)/supervisor/stockade}

median_ms() {  # runs "$@" n times, prints the median wall time in ms
  local times=()
  for _ in $(seq "$n"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f\n", a[int((NR+1)/2)]/1000}'
}

bare=$(median_ms "$binary")
echo "bare exec                 median ${bare} ms"
if [ -x "$stockade" ]; then
  jail=$(median_ms "$stockade" jail --dev -- "$binary")
  echo "stockade jail --dev       median ${jail} ms  ($(awk "BEGIN {printf \"%.1f\", $jail/$bare}")x bare)"
else
  echo "stockade jail: $stockade not built (cmake --build . --target stockade)"
fi
if command -v bwrap >/dev/null; then
  bw=$(median_ms bwrap --unshare-all --die-with-parent --new-session \
         --ro-bind /usr /usr --symlink usr/lib64 /lib64 --symlink usr/lib /lib \
         --proc /proc --dev /dev --tmpfs /tmp --ro-bind "$binary" /plugin /plugin)
  echo "bwrap --unshare-all       median ${bw} ms  ($(awk "BEGIN {printf \"%.1f\", $bw/$bare}")x bare)"
else
  echo "bwrap: not installed (apt-get install bubblewrap)"
fi
