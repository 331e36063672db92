#!/usr/bin/env bash
# End-to-end launch of one binary: `stockade jail` (verified against a
# whitelist, as in production, and with --dev) beside `bwrap --unshare-all`
# with a comparable read-only profile, and a bare run as the floor.
#   bench/sandbox-vs-bwrap.sh [BINARY] [N]   (run from the build directory, or
#                                             set STOCKADE=path/to/stockade)
# The rows are interleaved (one run of each per round, N rounds), so a change
# in the machine's load during the run hits them alike; the script prints the
# median wall time of each, its ratio to the bare run, and jail/bwrap.
# Wall time comes from bash's EPOCHREALTIME: no process is started to read
# the clock. bwrap comes from Debian's `bubblewrap` package; without it that
# row is skipped.
set -euo pipefail
binary=${1:-$(pwd)/bench/bench_exit0}
n=${2:-50}
stockade=${STOCKADE:-$(pwd)/cli/stockade}
[ -x "$binary" ] || { echo "no such binary: $binary" >&2; exit 2; }
[ -x "$stockade" ] || { echo "stockade not built: $stockade (cmake --build . --target stockade)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Pinned under the binary's base name: the name `stockade jail` checks
# without a manifest.
echo "$(sha256sum "$binary" | cut -d' ' -f1)  $(basename "$binary")" >"$work/whitelist"

rows=("bare exec" "stockade jail --whitelist" "stockade jail --dev")
commands=("$binary"
          "$stockade jail --whitelist $work/whitelist -- $binary"
          "$stockade jail --dev -- $binary")
if command -v bwrap >/dev/null; then
  rows+=("bwrap --unshare-all")
  commands+=("bwrap --unshare-all --die-with-parent --new-session --ro-bind /usr /usr \
--symlink usr/lib64 /lib64 --symlink usr/lib /lib --proc /proc --dev /dev --tmpfs /tmp \
--ro-bind $binary /plugin /plugin")
else
  echo "bwrap: not installed (apt-get install bubblewrap); that row is skipped"
fi

declare -A samples
for _ in $(seq "$n"); do
  for i in "${!commands[@]}"; do
    start=${EPOCHREALTIME/./}
    # shellcheck disable=SC2086  # the commands are word lists on purpose
    ${commands[$i]} >/dev/null 2>&1 || { echo "failed: ${commands[$i]}" >&2; exit 1; }
    end=${EPOCHREALTIME/./}
    samples[$i]+="$(( 10#$end - 10#$start )) "
  done
done

median_ms() { tr ' ' '\n' <<<"$1" | grep . | sort -n |
  awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'; }
declare -a medians
for i in "${!commands[@]}"; do medians[$i]=$(median_ms "${samples[$i]}"); done
for i in "${!commands[@]}"; do
  printf '%-27s median %6s ms  (%4.1fx bare)\n' "${rows[$i]}" "${medians[$i]}" \
    "$(awk "BEGIN {print ${medians[$i]}/${medians[0]}}")"
done
if [ "${#commands[@]}" -gt 3 ]; then
  printf 'jail --whitelist / bwrap     %.2f   (below 1: stockade is faster)\n' \
    "$(awk "BEGIN {print ${medians[1]}/${medians[3]}}")"
fi
