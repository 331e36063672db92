#!/bin/sh
# The Python SDK under the real supervisor (stockade call): the examples
# pyecho and pycalc pinned with plugin-hash --plugin, answers and handler
# errors with their codes, Info and Health, the launch check of a plugin
# started by hand. As root and as uid 65534 (run_unprivileged.sh).
#   python_plugins_test.sh STOCKADE PLUGIN_HASH PLUGINS_DIR
set -eu
stockade=$1 plugin_hash=$2 plugins=$3
work=$(mktemp -d /tmp/stockade-python-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
for plugin in pyecho pycalc; do
  cp -R "$plugins/$plugin" "$work/$plugin"
done
find "$work" -name __pycache__ -prune -exec rm -rf {} +
chmod -R go-w "$work"
"$plugin_hash" --plugin "$work/pyecho" > "$work/whitelist"
"$plugin_hash" --plugin "$work/pycalc" >> "$work/whitelist"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
call() { "$stockade" call -q --plugins "$work" --whitelist "$work/whitelist" "$@"; }

[ "$(call pyecho --method echo --data 'hello from python')" = "hello from python" ] || fail "pyecho echo"
[ "$(call pycalc --method calculate --data '{"operation": "multiply", "a": 6, "b": 7}')" = '{"result": 42.0}' ] ||
  fail "pycalc calculate"
[ "$(call pycalc --method add --data '{"a": 1.5, "b": 2}')" = '{"result": 3.5}' ] || fail "pycalc add"

# A handler's Error crosses the wire with its code and message: exit 1, one line.
status=0
call pycalc --method divide --data '{"a": 1, "b": 0}' 2> "$work/err" || status=$?
[ "$status" -eq 1 ] || fail "divide by zero: exit $status, expected 1"
grep -q "INVALID_ARGUMENT" "$work/err" && grep -q "division by zero" "$work/err" ||
  fail "divide by zero: $(cat "$work/err")"
status=0
call pycalc --method modulo --data '{}' 2> "$work/err" || status=$?
[ "$status" -eq 1 ] && grep -q "NOT_FOUND" "$work/err" || fail "unknown method: exit $status, $(cat "$work/err")"

# The deadline reaches the handler: the supervisor gives up at 300 ms.
status=0
call pyecho --method sleep --data 60000 --timeout 300 2> "$work/err" || status=$?
[ "$status" -eq 124 ] || fail "sleep past the deadline: exit $status, expected 124: $(cat "$work/err")"

call pycalc --info > "$work/info" || fail "pycalc --info"
grep -q "^name: pycalc" "$work/info" && grep -q "^methods: add subtract multiply divide calculate" "$work/info" ||
  fail "pycalc --info: $(cat "$work/info")"
call pyecho --health > "$work/health" || fail "pyecho --health: $(cat "$work/health")"

# Large payloads (PROTOCOL.md, section 6.1): pyecho allowed 16 MiB in memfds,
# the operator's ceiling raised by --config; 6 MiB each way, beyond the frame.
mkdir -p "$work/big" && cp -R "$work/pyecho" "$work/big/pyecho"
/usr/bin/python3 - "$work/big/pyecho/plugin.json" <<'PY'
import json, sys
path = sys.argv[1]
manifest = json.load(open(path))
manifest["execute"]["max_payload_mb"] = 16
manifest["resources"]["max_file_size_mb"] = 16
json.dump(manifest, open(path, "w"))
PY
printf '{"ceilings": {"max_payload_mb": 16, "max_file_size_mb": 64}}\n' > "$work/big.json"
head -c 6291456 /dev/urandom > "$work/big.in"
"$plugin_hash" --plugin "$work/big/pyecho" > "$work/big.whitelist"
"$stockade" call -q --config "$work/big.json" --plugins "$work/big" --whitelist "$work/big.whitelist" \
  pyecho --method echo --data-file "$work/big.in" > "$work/big.out" 2> "$work/err" ||
  fail "pyecho 6 MiB in memfds: $(cat "$work/err")"
cmp -s "$work/big.in" "$work/big.out" || fail "pyecho 6 MiB in memfds: the answer differs from the request"

# Started by hand: the launch check's one line, exit 1 (as the C++ SDK).
status=0
/usr/bin/python3 -I "$work/pyecho/pyecho.py" < /dev/null 2> "$work/err" 3<&- || status=$?
[ "$status" -eq 1 ] || fail "started by hand: exit $status, expected 1"
grep -q "pyecho: this is a stockade plugin; it is started by the stockade supervisor" "$work/err" ||
  fail "started by hand: $(cat "$work/err")"

[ "$failures" -eq 0 ] || exit 1
echo "ok: the Python SDK under stockade call, as uid $(id -u)"
