#!/usr/bin/env bash
# Specification of plugin-hash's command line: output format, digests equal to
# sha256sum's, --check outcomes and messages, exit codes 0/1/125/126 (stockade's table, cli/exit_codes.h).
# Usage: plugin_hash_cli_test.sh PATH/TO/plugin-hash
set -u
PH=$(realpath "${1:?usage: $0 PATH/TO/plugin-hash}")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/plugin-hash-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect CODE CMD...: runs CMD, keeps stdout/stderr in $out/$err, checks the exit code.
expect() {
  local want=$1; shift
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  out=$(cat "$WORK/out"); err=$(cat "$WORK/err")
  [[ $got == "$want" ]] || fail "$* exited $got, expected $want (stderr: $err)"
}
contains() { [[ $1 == *"$2"* ]] || fail "expected \"$2\" in: $1"; }

# Files: empty, small, exactly one read block, more than one block.
: >"$WORK/empty"
printf 'hello\n' >"$WORK/small"
head -c 1048576 /dev/urandom >"$WORK/block"
head -c 3145745 /dev/urandom >"$WORK/large.bin"

# Printing: same digest as sha256sum, name = base name.
for f in empty small block large.bin; do
  expect 0 "$PH" "$WORK/$f"
  want="$(sha256sum "$WORK/$f" | cut -d' ' -f1)  $f"
  [[ $out == "$want" ]] || fail "plugin-hash $f printed '$out', expected '$want'"
done
expect 0 "$PH" "$WORK/small" "$WORK/empty"
[[ $(wc -l <<<"$out") == 2 ]] || fail "two files should print two lines: $out"

# --name applies to every file.
expect 0 "$PH" --name calc "$WORK/small" "$WORK/block"
[[ $(grep -c '  calc$' <<<"$out") == 2 ]] || fail "--name not applied: $out"
expect 0 "$PH" --name=calc "$WORK/small"
contains "$out" "  calc"

# The output is a whitelist that --check accepts.
"$PH" "$WORK/small" "$WORK/large.bin" >"$WORK/wl"
"$PH" --name calc "$WORK/block" >>"$WORK/wl"
expect 0 "$PH" --check "$WORK/wl" "$WORK/small" "$WORK/large.bin"
contains "$out" "$WORK/small: OK"
expect 0 "$PH" --check "$WORK/wl" --name calc "$WORK/block"

# Mismatches: exit 1, each failing file named with the reason.
expect 1 "$PH" --check "$WORK/wl" "$WORK/small" "$WORK/empty"
contains "$out" "$WORK/small: OK"
contains "$out" "$WORK/empty: FAILED: no digest is pinned for \"empty\""
expect 1 "$PH" --check "$WORK/wl" --name calc "$WORK/small"
contains "$out" "FAILED: sha256 $(sha256sum "$WORK/small" | cut -d' ' -f1) is not pinned for \"calc\""

# A malformed whitelist is refused with its file and line: exit 125.
printf '# header\n%s calc\n' "$(sha256sum "$WORK/small" | cut -d' ' -f1)" >"$WORK/bad-wl"
expect 125 "$PH" --check "$WORK/bad-wl" "$WORK/small"
contains "$err" "$WORK/bad-wl:2:"

# Unreadable input: exit 125, naming the file.
expect 125 "$PH" "$WORK/missing"
contains "$err" "$WORK/missing"
expect 125 "$PH" "$WORK"
contains "$err" "is a directory"
expect 125 "$PH" --check "$WORK/no-such-whitelist" "$WORK/small"
contains "$err" "no-such-whitelist"
expect 125 "$PH" --check "$WORK/wl" "$WORK/small" "$WORK/missing"
# Root reads any file, so as root the unreadable case runs as uid 65534 with a
# copy of plugin-hash that uid can reach.
printf 'x' >"$WORK/secret"; chmod 000 "$WORK/secret"
if [[ $(id -u) != 0 ]]; then
  expect 125 "$PH" "$WORK/secret"
else
  chmod 755 "$WORK"; cp "$PH" "$WORK/plugin-hash-copy"; chmod 755 "$WORK/plugin-hash-copy"
  expect 125 setpriv --reuid=65534 --regid=65534 --clear-groups "$WORK/plugin-hash-copy" "$WORK/secret"
fi
contains "$err" "$WORK/secret"

# A base name that cannot be a plugin name needs --name.
printf 'x' >"$WORK/has space"
expect 125 "$PH" "$WORK/has space"
contains "$err" "--name"
expect 0 "$PH" --name spaced "$WORK/has space"

# Usage errors: exit 125.
expect 125 "$PH"
expect 125 "$PH" --bogus "$WORK/small"
expect 125 "$PH" --name
expect 125 "$PH" --name "../x" "$WORK/small"
expect 125 "$PH" --name a --name b "$WORK/small"
expect 125 "$PH" --check "$WORK/wl"

# "--" ends options.
cp "$WORK/small" "$WORK/-dash"
cd "$WORK" || exit 1
expect 0 "$PH" --name dash -- -dash
contains "$out" "  dash"
cd - >/dev/null || exit 1

# Pinning a file stockade would refuse to run: a warning on stderr, and the
# line is still printed (exit 0).
cp "$PH" "$WORK/elf"; chmod 755 "$WORK/elf"
expect 0 "$PH" "$WORK/elf"
[[ -z $err ]] || fail "a safe ELF binary should pin without a warning: $err"
expect 0 "$PH" "$WORK/small"
contains "$out" "  small"
contains "$err" "warning"
contains "$err" "not executable"
contains "$err" "chmod +x $WORK/small"
cp "$PH" "$WORK/shared"; chmod 777 "$WORK/shared"
expect 0 "$PH" "$WORK/shared"
contains "$out" "  shared"
contains "$err" "writable by every user"
contains "$err" "chmod go-w $WORK/shared"
printf '#!/bin/sh\necho hi\n' >"$WORK/script.sh"; chmod 755 "$WORK/script.sh"
expect 0 "$PH" --name script "$WORK/script.sh"
contains "$out" "  script"
contains "$err" "stockade runs a script only as an interpreted plugin"
contains "$err" "plugin-hash --plugin DIR"
# --plugin DIR: every line an interpreted plugin needs, from its manifest.
mkdir -p "$WORK/pyplug/lib/__pycache__"
printf 'import sys\n' >"$WORK/pyplug/main.py"
printf 'x = 1\n' >"$WORK/pyplug/lib/b.py"
printf 'y = 2\n' >"$WORK/pyplug/lib/a.py"
printf 'cache' >"$WORK/pyplug/lib/__pycache__/a.cpython-311.pyc"
printf '{"name": "pyplug", "interpreter": "/usr/bin/python3", "endpoint": "main.py", "files": ["lib"]}' \
  >"$WORK/pyplug/plugin.json"
expect 0 "$PH" --plugin "$WORK/pyplug"
[ "$(printf '%s\n' "$out" | cut -c67-)" = "$(printf 'pyplug@/usr/bin/python3\npyplug\npyplug/lib/a.py\npyplug/lib/b.py')" ] \
  || fail "--plugin printed: $out"
contains "$out" "$(sha256sum /usr/bin/python3 | cut -c1-64)  pyplug@/usr/bin/python3"
contains "$out" "$(sha256sum "$WORK/pyplug/lib/a.py" | cut -c1-64)  pyplug/lib/a.py"
expect 125 "$PH" --plugin "$WORK/pyplug" "$WORK/pyplug/main.py"
contains "$err" "--plugin DIR takes no FILE"
expect 125 "$PH" --plugin "$WORK/nowhere"
printf 'just data' >"$WORK/data.bin"; chmod 755 "$WORK/data.bin"
expect 0 "$PH" "$WORK/data.bin"
contains "$err" "not an ELF binary"

# --check refuses a whitelist that others can write, naming it and the fix.
cp "$WORK/wl" "$WORK/wl-open"; chmod 666 "$WORK/wl-open"
expect 126 "$PH" --check "$WORK/wl-open" "$WORK/small"
contains "$err" "$WORK/wl-open"
contains "$err" "chmod go-w $WORK/wl-open"
if [[ $(id -u) == 0 ]]; then
  cp "$WORK/wl" "$WORK/wl-other"; chown 65534 "$WORK/wl-other"
  expect 126 "$PH" --check "$WORK/wl-other" "$WORK/small"
  contains "$err" "owned by uid 65534"
  contains "$err" "chown root $WORK/wl-other"
fi

# --help explains the format and the exit codes.
expect 0 "$PH" --help
contains "$out" "Usage: plugin-hash"
contains "$out" "--check WHITELIST"
contains "$out" "Exit codes"
expect 0 "$PH" -h

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "plugin-hash CLI: all checks passed"
