#!/usr/bin/env bash
# extract_samples.awk sorts the blocks of extractor_fixture.md as the markers
# say (programs, fragments, mirrors, JSON, skips; bad and stray markers are
# failures; fences follow CommonMark): its index must be the expected one.
#   extractor_selftest.sh AWK SOURCE_DIR
set -euo pipefail
awk="$1" source="$2"
here="$source/tests/docs"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$awk" -v out="$out" -v root="$source" -f "$here/extract_samples.awk" "$here/extractor_fixture.md"
if ! diff -u --label expected --label extracted "$here/extractor_fixture.expected" "$out/index.tsv"; then
  echo "FAIL: extract_samples.awk no longer reads extractor_fixture.md as expected (- expected, + extracted)"
  exit 1
fi
# A fragment's include stays above the function, its statement inside it.
fragment="$out/s002_tests_docs_extractor_fixture_md_13.cpp"
if ! grep -q '^#include <syslog.h>$' "$fragment" ||
   [[ "$(grep -n -m1 '^#include <syslog.h>' "$fragment" | cut -d: -f1)" -ge "$(grep -n -m1 '^void doc_sample_body() {' "$fragment" | cut -d: -f1)" ]] ||
   [[ "$(grep -n -m1 '^die("x");' "$fragment" | cut -d: -f1)" -le "$(grep -n -m1 '^void doc_sample_body() {' "$fragment" | cut -d: -f1)" ]]; then
  echo "FAIL: the fragment is not wrapped as expected:"
  cat "$fragment"
  exit 1
fi
echo "extractor_selftest: extractor_fixture.md is read as expected"
