"""Timeline of one sandboxed launch from `perf script` output (launch-timeline.sh).

Input lines look like
  COMM PID/TID [CPU] SECONDS: EVENT: DETAILS
Sandbox launches are the clone3 calls whose child later execs (stockade-init
from its memfd). The bench makes four: a warm-up by hand and through the
runtime, then one of each; the third (the counted by-hand launch) and the
fourth (the runtime's) are printed. Every process of the sandbox and the
launching thread are shown as runs of the same syscall merged into one line:
start and end in ms since the clone3, the syscall, how many, on which CPU.
"""
import re
import sys
from collections import defaultdict

NAMES = {
    0: "read", 1: "write", 3: "close", 5: "fstat", 7: "poll", 9: "mmap", 10: "mprotect",
    11: "munmap", 12: "brk", 13: "rt_sigaction", 14: "rt_sigprocmask", 16: "ioctl",
    17: "pread64", 20: "writev", 21: "access", 24: "sched_yield", 28: "madvise", 32: "dup", 33: "dup2",
    39: "getpid", 44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg", 53: "socketpair",
    56: "clone", 57: "fork", 59: "execve", 60: "exit", 61: "wait4", 62: "kill", 72: "fcntl",
    80: "chdir", 81: "fchdir", 89: "readlink", 95: "umask", 96: "gettimeofday", 97: "getrlimit",
    102: "getuid", 104: "getgid", 107: "geteuid", 108: "getegid", 110: "getppid", 112: "setsid",
    116: "setgroups", 117: "setresuid", 119: "setresgid", 126: "capset", 128: "rt_sigtimedwait",
    131: "sigaltstack", 137: "statfs", 138: "fstatfs", 155: "pivot_root", 157: "prctl", 158: "arch_prctl",
    160: "setrlimit", 165: "mount", 166: "umount2", 170: "sethostname", 186: "gettid",
    202: "futex", 203: "sched_setaffinity", 204: "sched_getaffinity", 217: "getdents64",
    218: "set_tid_address", 228: "clock_gettime", 230: "clock_nanosleep", 231: "exit_group",
    232: "epoll_wait", 233: "epoll_ctl", 257: "openat", 258: "mkdirat", 262: "newfstatat",
    270: "pselect6", 271: "ppoll", 272: "unshare", 273: "set_robust_list", 281: "epoll_pwait",
    290: "eventfd2", 291: "epoll_create1", 292: "dup3", 293: "pipe2", 302: "prlimit64",
    317: "seccomp", 318: "getrandom", 319: "memfd_create", 322: "execveat", 332: "statx",
    334: "rseq", 424: "pidfd_send_signal", 428: "open_tree", 429: "move_mount", 430: "fsopen",
    431: "fsconfig", 432: "fsmount", 434: "pidfd_open", 435: "clone3", 436: "close_range",
    437: "openat2", 439: "faccessat2", 441: "epoll_pwait2", 442: "mount_setattr",
    444: "landlock_create_ruleset", 445: "landlock_add_rule", 446: "landlock_restrict_self",
}

LINE = re.compile(r"^\s*(.+?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+([\w:]+):\s*(.*)$")


def parse(path):
    events = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            comm, pid, tid, cpu, t, event, rest = m.groups()
            events.append((float(t), int(pid), int(tid), int(cpu), comm, event, rest))
    events.sort(key=lambda e: e[0])
    return events


def main(path):
    events = parse(path)
    # clone3 exits (in the parent: ret > 0) and the execs, by pid.
    execs = {}
    forks = defaultdict(list)  # parent pid -> [(t, child pid)]
    for t, pid, tid, cpu, comm, event, rest in events:
        if event == "sched:sched_process_exec":
            m = re.search(r"pid=(\d+)", rest)
            if m:
                execs.setdefault(int(m.group(1)), (t, rest))
        elif event == "sched:sched_process_fork":
            m = re.search(r"child_pid=(\d+)", rest)
            if m:
                forks[tid].append((t, int(m.group(1))))
    launches = []
    enter = {}
    for t, pid, tid, cpu, comm, event, rest in events:
        if event == "raw_syscalls:sys_enter" and rest.startswith("NR 435 "):
            enter[tid] = t
        elif event == "raw_syscalls:sys_exit" and rest.startswith("NR 435 "):
            m = re.search(r"= (-?\d+)", rest)
            child = int(m.group(1)) if m else -1
            if child > 0 and child in execs:  # the sandbox's first process execs stockade-init
                launches.append((enter.get(tid, t), tid, child))
    if len(launches) < 3:
        print(f"found {len(launches)} sandbox launches; expected 4", file=sys.stderr)
        for l in launches:
            print(l, file=sys.stderr)
        return 1
    for label, (t0, launcher, first) in (("by hand", launches[2]), ("runtime", launches[3] if len(launches) > 3 else launches[-1])):
        # The sandbox's processes: the first one and everything forked from it.
        family = {first}
        grew = True
        while grew:
            grew = False
            for parent, kids in forks.items():
                if parent in family or any(parent == k for k in family):
                    for _, kid in kids:
                        if kid not in family:
                            family.add(kid)
                            grew = True
        print(f"\n=== {label}: clone3 by tid {launcher} at 0.000 ms; sandbox tids {sorted(family)}")
        show(events, t0, launcher, family)
    return 0


def show(events, t0, launcher, family):
    # The launching process's threads from 1 ms before the clone3 (its
    # preparation) to the end; the sandbox's tasks from their start.
    launcher_pid = None
    for t, pid, tid, cpu, comm, event, rest in events:
        if tid == launcher:
            launcher_pid = pid
            break
    runs = {}  # tid -> current run [start, end, name, count, cpu]
    out = []
    t_end = None
    switched_out = {}  # tid -> (time, state) of its last switch-out
    for t, pid, tid, cpu, comm, event, rest in events:
        if t < t0 - 0.002:
            continue
        mine = tid in family or pid in family or pid == launcher_pid
        if not mine:
            continue
        if event == "sched:sched_switch":
            m = re.search(r"prev_state=(\S+)", rest)
            switched_out[tid] = (t, m.group(1) if m else "?")
            continue
        if tid in switched_out:
            since, state = switched_out.pop(tid)
            # Off the CPU: R = preempted, waiting for a CPU; S/D = blocked.
            if t - since >= 0.0001:
                what = "waiting for a CPU (preempted)" if state.startswith("R") else f"blocked ({state})"
                out.append((since, tid, cpu, comm, f"-- off CPU {1e3 * (t - since):.3f} ms: {what}", 1))
        if event.startswith("sched:"):
            out.append((t, tid, cpu, comm, event.split(":")[1] + " " + rest[:80], 1))
            continue
        if event != "raw_syscalls:sys_enter":
            continue
        m = re.match(r"NR (\d+)", rest)
        if not m:
            continue
        nr = int(m.group(1))
        name = NAMES.get(nr, f"nr{nr}")
        run = runs.get(tid)
        if run and run[2] == name:
            run[1] = t
            run[3] += 1
        else:
            if run:
                out.append((run[0], tid, run[4], run[5], run[2] + (f" x{run[3]} until {1e3 * (run[1] - t0):.3f}" if run[3] > 1 else ""), run[3]))
            runs[tid] = [t, t, name, 1, cpu, comm]
        if pid in family and name == "exit_group":
            t_end = t
    for tid, run in runs.items():
        out.append((run[0], tid, run[4], run[5], run[2] + (f" x{run[3]} until {1e3 * (run[1] - t0):.3f}" if run[3] > 1 else ""), run[3]))
    out.sort()
    for t, tid, cpu, comm, what, _ in out:
        if t_end is not None and t > t_end + 0.001:
            break
        print(f"{1e3 * (t - t0):9.3f}  cpu{cpu} {tid:>7} {comm[:15]:<15} {what}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
