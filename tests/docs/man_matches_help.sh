#!/usr/bin/env bash
# The man pages and --help must say the same things: every option a command's
# --help lists appears in its man page, and every exit code --help names
# appears there too. The one exit-code table (cli/exit_codes.h), as
# `stockade help exit-codes` prints it, is in `stockade --help`, row for row
# in stockade(1)'s EXIT STATUS and in docs/operators.md's "Exit codes", and
# nothing else is.
#   man_matches_help.sh STOCKADE PLUGIN_HASH MAN_DIR OPERATORS_MD
set -euo pipefail
stockade="$1" plugin_hash="$2" man_dir="$3" operators="$4"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

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
for command in jail call check serve status reload restart metrics conformance; do
  check "stockade ${command}" "$("$stockade" "$command" --help 2>&1)" "$stockade_page"
done
check "plugin-hash" "$("$plugin_hash" --help 2>&1)" "$(render "${man_dir}/plugin-hash.1")"

# The exit-code table. Rows are "  CODE   MEANING", wrapped onto lines
# indented further; the man page wraps them its own way, so rows are
# compared joined, with their whitespace squeezed.
squeeze() { tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//'; }
join_rows() { awk '/^  [^ ]/ { if (row != "") print row; row = $0; next }
                   /^   / { sub(/^ +/, " "); row = row $0; next }
                   { if (row != "") print row; row = "" }
                   END { if (row != "") print row }'; }
table_text=$("$stockade" help exit-codes)
table=$(join_rows <<<"$table_text")
[[ -n $table ]] || fail "stockade help exit-codes prints nothing"
[[ $("$stockade" --help) == *"$table_text"* ]] || fail "stockade --help does not end with the exit-code table"
exit_status=$(sed -n '/^EXIT STATUS/,/^TRUST/p' <<<"$stockade_page" | squeeze)
doc_rows=$(sed -n '/<!-- exit-codes:begin/,/<!-- exit-codes:end/p' "$operators" | grep -E '^\| [^c-]' || true)
rows=0
while IFS= read -r line; do
  rows=$((rows + 1))
  row=$(squeeze <<<"$line")
  code=${row%% *} meaning=${row#* }
  [[ $exit_status == *"$row"* ]] || fail "stockade(1) EXIT STATUS lacks the row: $row"
  grep -qxF -- "| ${code} | ${meaning} |" <<<"$doc_rows" || fail "docs/operators.md lacks the row: | ${code} | ${meaning} |"
done <<<"$table"
man_rows=$(sed -n '/^# EXIT STATUS/,/^# TRUST/p' "$(dirname "$0")/../../docs/man/stockade.1.scd" | grep -cE '^\*[^*]+\*$' || true)
[[ $man_rows == "$rows" ]] || fail "stockade(1) EXIT STATUS has ${man_rows} codes, the table ${rows}"
[[ $(grep -c . <<<"$doc_rows") == "$rows" ]] || fail "docs/operators.md's table has other rows than the code's ${rows}"
# Each command's --help shows its rows of the same table.
for command in jail call check status reload restart metrics; do
  while IFS= read -r line; do
    grep -qxF -- "$line" <<<"$table" || fail "stockade ${command} --help has an exit-code row not in the table: $line"
  done < <(sed -n '/^exit codes/,/^$/p' <<<"$("$stockade" "$command" --help)" | join_rows)
done

if [[ $failures -gt 0 ]]; then
  echo "man_matches_help: ${failures} difference(s) between --help and the man pages"
  exit 1
fi
echo "man_matches_help: every option and exit code of --help is in the man pages"
