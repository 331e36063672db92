#!/bin/sh
# `stockade conformance` against one built plugin, pinned as an operator pins
# it (plugin-hash --plugin DIR > whitelist) in a fresh folder of our own, so
# that it runs the same as root and as uid 65534 (run_unprivileged.sh).
#   conformance_test.sh STOCKADE PLUGIN_HASH PLUGINS_DIR PLUGIN pass|memfd|fail
# pass: every case passes, and the calls are answered out of order (both
# SDKs run them concurrently). memfd: the same with the manifest allowing
# 8 MiB payloads in memfds (and the operator's ceiling raised by --config):
# the "large payload" case runs and passes. fail: the suite must find the
# plugin wanting (exit 1, a FAIL line): the suite's own check that it can fail.
set -eu
stockade=$1 plugin_hash=$2 plugins=$3 plugin=$4 expect=$5
work=$(mktemp -d /tmp/stockade-conformance-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
cp -R "$plugins/$plugin" "$work/$plugin"
find "$work" -name __pycache__ -prune -exec rm -rf {} +
config=
if [ "$expect" = memfd ]; then
  /usr/bin/python3 - "$work/$plugin/plugin.json" <<'PY'
import json, sys
path = sys.argv[1]
manifest = json.load(open(path))
manifest["execute"]["max_payload_mb"] = 8
manifest["resources"]["max_file_size_mb"] = 8
json.dump(manifest, open(path, "w"))
PY
  printf '{"ceilings": {"max_payload_mb": 8}}\n' > "$work/config.json"
  config="--config $work/config.json"
fi
chmod -R go-w "$work"
"$plugin_hash" --plugin "$work/$plugin" > "$work/whitelist"
status=0
# shellcheck disable=SC2086 # $config is empty or two words
"$stockade" conformance $config --plugins "$work" --whitelist "$work/whitelist" "$plugin" > "$work/out" || status=$?
cat "$work/out"
case $expect in
  pass|memfd)
    [ "$status" -eq 0 ] || { echo "FAIL: stockade conformance exited $status"; exit 1; }
    grep -q "answered out of order" "$work/out" || { echo "FAIL: the answers came in order"; exit 1; }
    if [ "$expect" = memfd ]; then
      grep -q "^PASS  large payload" "$work/out" || { echo "FAIL: no large payload case"; exit 1; }
    fi
    ;;
  fail)
    [ "$status" -eq 1 ] || { echo "FAIL: expected exit 1 for a plugin that fails cases, got $status"; exit 1; }
    grep -q "^FAIL " "$work/out" || { echo "FAIL: no FAIL line"; exit 1; }
    ;;
esac
echo "ok: $plugin ($expect) as uid $(id -u)"
