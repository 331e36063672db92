#!/usr/bin/env bash
# Runs the sandbox tests as an ordinary user (uid 65534 when we are root):
# unprivileged user namespaces, no cgroup, rlimits only. The build tree may not
# be readable by that uid, so the test binary and the probe are copied to a
# world-readable temporary directory first.
set -euo pipefail
tests=$1
probe=$2
shift 2

if [ "$(id -u)" -ne 0 ]; then
  exec "$tests" "$@"
fi

dir=$(mktemp -d /tmp/stockade-sandbox-unpriv-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$tests" "$dir/sandbox_tests"
cp "$probe" "$dir/sandbox_probe"
chmod 0755 "$dir" "$dir/sandbox_tests" "$dir/sandbox_probe"
cd "$dir"
setpriv --reuid=65534 --regid=65534 --clear-groups -- "$dir/sandbox_tests" "$@"
