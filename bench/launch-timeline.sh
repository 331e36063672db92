#!/bin/sh
# launch-timeline.sh BUILD_DIR: one launch of the sandboxed echo plugin, by
# hand (bench_launch_breakdown 1), recorded with the kernel's tracepoints
# (perf record: exec, fork, exit and every syscall's entry and exit, a few
# microseconds each, far less than strace's ptrace stops), then printed as a
# timeline of the last by-hand launch: milliseconds since its clone3 for the
# events that mark a step (namespaces, mounts, pivot_root, Landlock, seccomp,
# the execs, the plugin's loader and threads, Hello, the first answer).
#   bench/launch-timeline.sh build            (as root; needs perf)
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
data=$(mktemp /tmp/stockade-launch-timeline.XXXXXX)
trap 'rm -f "$data" "$data.txt"' EXIT
perf record -q -o "$data" -e raw_syscalls:sys_enter,raw_syscalls:sys_exit,sched:sched_process_exec,sched:sched_process_fork,sched:sched_process_exit,sched:sched_switch \
  -- "$build/bench/bench_launch_breakdown" 1 >/dev/null
perf script -i "$data" -F comm,pid,tid,cpu,time,event,trace > "$data.txt" 2>/dev/null
/usr/bin/python3 "$here/launch_timeline.py" "$data.txt"
