#!/usr/bin/env bash
# The doc_samples test: every C++ and JSON sample of README.md, PROTOCOL.md and
# docs/*.md is what it claims to be (tests/docs/samples.cmake extracts them;
# docs/testing.md, "Code samples in the documentation", has the markers).
#   check_samples.sh CMAKE BUILD_DIR SAMPLE_DIR DOC_JSON_CHECK SOURCE_DIR KEEP_GOING_FLAGS
set -uo pipefail
cmake="$1" build="$2" samples="$3" json_check="$4" source="$5" keep_going="$6"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# 1. Compile (and link) every C++ sample. A document edited since the last
# configure is extracted again by this build first. The compiler's messages
# name the document and line (#line).
# shellcheck disable=SC2086 # the flags are words on purpose
if ! "$cmake" --build "$build" --target doc_samples -- $keep_going; then
  build_failed=1
else
  build_failed=0
fi

index="$samples/index.tsv" outputs="$samples/outputs.tsv"
if [[ ! -f "$index" || ! -f "$outputs" ]]; then
  echo "FAIL: $index or $outputs is missing: configure $build again"
  exit 1
fi

# 2. Every entry of the index, in document order.
checked=0 skipped=0 blamed=0
while IFS=$'\t' read -r id kind document line argument; do
  where="$document:$line"
  case "$kind" in
    program|fragment)
      output=$(awk -F'\t' -v id="$id" '$1 == id { print $2 }' "$outputs")
      if [[ -z "$output" || ! -e "$output" || "$samples/$id.cpp" -nt "$output" ]]; then
        fail "$where: the C++ block does not compile as a $kind${argument:+ ($argument)} (the compiler's messages above name the line)"
        blamed=$((blamed + 1))
      else
        what="compiles"
        [[ "$kind" == program ]] && what="compiles and links"
        echo "ok   $where: C++ $kind${argument:+ ($argument)} $what"
        checked=$((checked + 1))
      fi
      ;;
    mirror)
      original="$source/$argument"
      quoted="$samples/$id.txt"
      if [[ ! -f "$original" ]]; then
        fail "$where: mirrors $argument, which does not exist"
        continue
      fi
      # A first line naming the file ("// examples/echo/echo.cpp") is allowed.
      if [[ "$(head -n 1 "$quoted")" == "// $argument" ]]; then
        body=$(tail -n +2 "$quoted")
      else
        body=$(cat "$quoted")
      fi
      if ! differences=$(diff -u --label "$where" --label "$argument" <(printf '%s\n' "$body") "$original"); then
        fail "$where: the block differs from $argument, which it mirrors (- the document, + the file); paste the file into the block:"
        printf '%s\n' "$differences"
      else
        echo "ok   $where: the same as $argument"
        checked=$((checked + 1))
      fi
      ;;
    manifest|config|json)
      if report=$("$json_check" "$kind" "$samples/$id.json" "$where"); then
        echo "ok   $report"
        checked=$((checked + 1))
      else
        fail "$where: the JSON block is not accepted:"
        printf '%s\n' "$report" | sed 's/^/       /'
      fi
      ;;
    skip)
      echo "skip $where: $argument"
      skipped=$((skipped + 1))
      ;;
    bad)
      fail "$where: $argument"
      ;;
    *)
      fail "$where: unknown kind '$kind' in $index"
      ;;
  esac
done < "$index"

if ((build_failed && blamed == 0)); then
  fail "building the doc_samples target failed (see the messages above)"
fi
echo "doc_samples: $checked checked, $skipped skipped, $failures failed"
((failures == 0))
