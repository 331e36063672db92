#!/usr/bin/env bash
# The man pages and --help must say the same things: every option a command's
# --help lists appears in its man page, and every exit code --help names
# appears there too.
#   man_matches_help.sh STOCKADE PLUGIN_HASH MAN_DIR
set -euo pipefail
stockade="$1" plugin_hash="$2" man_dir="$3"
failures=0

render() {  # a roff page as plain text, hyphens as typed
  MANWIDTH=200 man --nh --nj -l "$1" 2>/dev/null | col -b | sed 's/‐/-/g'
}

check() {  # check LABEL HELP_TEXT PAGE_TEXT
  local label="$1" help="$2" page="$3"
  local options codes
  options=$(grep -oE '(^|[ ,(\[])--[a-z][a-z0-9-]*' <<<"$help" | sed 's/^[ ,(\[]//' | sort -u || true)
  for option in $options; do
    if ! grep -qF -- "$option" <<<"$page"; then
      echo "FAIL: ${label}: --help lists ${option}, the man page does not"
      failures=$((failures + 1))
    fi
  done
  codes=$(grep -oE '\b1[0-9]{2}\b' <<<"$help" | sort -u || true)
  for code in $codes; do
    if ! grep -qw -- "$code" <<<"$page"; then
      echo "FAIL: ${label}: --help names exit code ${code}, the man page does not"
      failures=$((failures + 1))
    fi
  done
}

stockade_page=$(render "${man_dir}/stockade.1")
check "stockade" "$("$stockade" --help 2>&1)" "$stockade_page"
for command in jail call check; do
  check "stockade ${command}" "$("$stockade" "$command" --help 2>&1)" "$stockade_page"
done
check "plugin-hash" "$("$plugin_hash" --help 2>&1)" "$(render "${man_dir}/plugin-hash.1")"

if [[ $failures -gt 0 ]]; then
  echo "man_matches_help: ${failures} difference(s) between --help and the man pages"
  exit 1
fi
echo "man_matches_help: every option and exit code of --help is in the man pages"
