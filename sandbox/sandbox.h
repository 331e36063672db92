// sandbox/: turns a VerifiedBinary and a Policy into a running, contained
// child. Order of operations (child side): namespaces → tmpfs root with
// read-only binds → pivot_root → rlimits/cgroup/affinity → close fds →
// no_new_privs, caps dropped, Landlock → seccomp → execveat(verified fd).
// A failure at any step reaches the parent as (step, errno); the plugin never
// runs half-sandboxed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stockade/result.h"
#include "base/unique_fd.h"
#include "sandbox/policy.h"

namespace stockade {
class OpenedBinary;
class VerifiedBinary;
}

namespace stockade::sandbox {

// A descriptor of the parent's made visible in the child at `child_fd`.
// stdin/stdout/stderr are 0, 1, 2; the plugin protocol socket is 3.
struct FdMapping {
  int parent_fd = -1;
  int child_fd = -1;
};

// How a sandboxed process ended, with the reason an operator needs.
struct ExitStatus {
  enum class Kind {
    exited,             // exit(code)
    signaled,           // killed by `signal`
    seccomp_violation,  // made a forbidden syscall (`syscall` names it), then killed
    memory_limit,       // hit the memory limit (cgroup OOM or allocation failure death)
    cpu_limit,          // RLIMIT_CPU / cgroup CPU exhausted (SIGXCPU / SIGKILL)
    file_size_limit,    // RLIMIT_FSIZE (SIGXFSZ)
    killed,             // killed by the supervisor (Child::kill, time limit)
  };
  Kind kind = Kind::exited;
  int code = 0;          // exit code for `exited`
  int signal = 0;        // the terminating signal, when there was one
  std::string syscall;   // seccomp_violation: the syscall's name (or "#nr")
  // cpu_limit, when the sandbox's CPU budget ended it: the CPU time all its
  // processes had used (0 when a per-process RLIMIT_CPU ended it instead).
  uint64_t cpu_used_ms = 0;
  // The shell-style code: `code` for exited, 128+signal otherwise.
  int shell_code() const;
  // One line for an operator: "exited with code 3", "seccomp violation: ptrace", ...
  std::string describe() const;
};

// What spawn() actually applied, for the supervisor's log (the limits may be
// weaker than asked where the host lacks a mechanism: an unprivileged
// supervisor has no cgroup, a hard rlimit of the supervisor caps ours).
struct AppliedLimits {
  std::string cgroup;        // "v2", "v1 (memory, pids, cpu)", "none (...)"
  std::string memory;        // e.g. "cgroup v1 memory.limit_in_bytes=536870912; RLIMIT_AS=1073741824"
  // "60 s for the whole sandbox (cgroup v2 cpu.stat); RLIMIT_CPU=61 s per process ..."
  std::string cpu_time;
  std::string cpu_cores;     // "affinity 1 of 2 CPUs; cgroup v1 cpu.cfs_quota_us=100000/100000"
  std::string processes;     // "cgroup v1 pids.max=64; RLIMIT_NPROC=64"
  std::string open_files;    // "RLIMIT_NOFILE=256"
  std::string file_size;     // "RLIMIT_FSIZE=67108864"
  std::string tmp;           // "tmpfs size=16777216, charged to the cgroup memory limit"
  std::string landlock;      // "ABI 7" or "unavailable"
  std::string network;       // "none (empty network namespace, loopback down)" or "host"
  // All of the above on one line.
  std::string describe() const;
};

// Where the launch time went, in microseconds (for benchmarks and logs).
struct LaunchTimings {
  int64_t prepare_us = 0;  // policy checks, seccomp compile, mount plan, rlimits
  int64_t cgroup_us = 0;   // creating the cgroups and their limits (v1: while the child sets up)
  int64_t clone_us = 0;    // clone3 with the namespaces
  int64_t maps_us = 0;     // uid/gid maps
  int64_t verify_us = 0;   // waiting for the verifier (spawn with one), once the child was released
  int64_t setup_us = 0;    // child: mounts ... seccomp until exec (what the verifier left)
};

// A running sandbox. Owns the pidfd; destroying it kills every process in the
// sandbox and reaps the child, so nothing outlives the owner.
class Child {
 public:
  Child(Child&&) noexcept;
  Child& operator=(Child&&) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const;
  const AppliedLimits& applied() const;
  const LaunchTimings& timings() const;
  // Readable when the child has exited (for event loops).
  int pidfd() const;
  // Readable when a seccomp violation is pending; -1 when there is nothing
  // (left) to watch. Call handle_violation() whenever poll reports anything
  // on it (POLLIN or POLLHUP). Once every task under the filter is gone the
  // fd reports POLLHUP for good (while the pidfd may stay unreadable for a
  // while, until the kernel has torn the pid namespace down):
  // handle_violation() then closes it and this returns -1. Callers must
  // re-read violation_fd() after each handle_violation() and stop watching
  // at -1; an event loop (Asio) must not re-arm a wait on the old number,
  // which the next open() may reuse: watch a dup() of it, and drop that dup
  // when this returns -1.
  int violation_fd() const;
  // Reads a pending seccomp notification, records the syscall, and kills the
  // sandbox. Returns true if a violation was handled. Without a pending
  // notification it closes the listener if it has hung up (see above).
  bool handle_violation();

  // The sandbox's CPU budget (cpu_seconds, all its processes together) is
  // checked by the supervisor where a cgroup accounts it, by stockade-init
  // otherwise. cpu_check_due() is when the next supervisor-side check is due
  // (nullopt: none is ours, or the sandbox has ended): the earliest the rest
  // of the budget could be spent with every CPU it may use busy. An event
  // loop arms a timer for it and calls check_cpu_budget() then, which ends
  // the sandbox at the budget (Kind::cpu_limit; true) or moves the due time
  // on. wait() and try_wait() do both themselves.
  std::optional<std::chrono::steady_clock::time_point> cpu_check_due() const;
  bool check_cpu_budget();

  // Blocks until the child ends (handling violations meanwhile), reaps it.
  // With a timeout, kills the sandbox when it passes (Kind::killed).
  Result<ExitStatus> wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Non-blocking: the status if the child has ended (reaped), else nullopt.
  std::optional<ExitStatus> try_wait();
  // SIGKILL to every process of the sandbox (pid namespace init and cgroup).
  void kill();
  // Sends `sig` to the sandbox's init (stockade-init, pid 1), which passes
  // SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to the plugin
  // and drops the others; SIGKILL ends the whole sandbox.
  Status signal(int sig);

  struct State;  // implementation detail
  explicit Child(std::unique_ptr<State> state);

 private:
  std::unique_ptr<State> state_;
};

// Starts `binary` under `policy`. `fds` appear in the child at their
// child_fd; every other descriptor is closed before exec. A terminal, pipe,
// FIFO or other character device is reopened, so the child has an open file
// description of its own (its O_NONBLOCK is not the host's); sockets are
// shared (dup), as is a pipe or device the reopen is refused for; regular
// files, directories, pty masters and a terminal that cannot be reopened are
// refused (sandbox/passed_fds.h says why). Errors name the
// setup step and errno ("sandbox step pivot_root: Operation not permitted").
Result<Child> spawn(const VerifiedBinary& binary, const Policy& policy,
                    const std::vector<FdMapping>& fds);

// Turns the opened binary into the VerifiedBinary that may run, or says why not.
using BinaryVerifier = std::function<Result<VerifiedBinary>(OpenedBinary&&)>;

// spawn() with the binary's verification overlapped with the sandbox's setup:
// the sandbox is built around `binary`'s open file while `verify` runs on a
// thread of its own, pinned to another CPU where the process may use one
// (verifier_thread.h; in line otherwise). The child execs nothing until
// `verify` has returned a VerifiedBinary holding that same open file, so the
// bytes hashed are still the bytes executed. If `verify` fails, the child is
// killed and reaped and the verifier's error is returned as it came. `verify`
// must be safe to run on another thread; `binary` is its alone until spawn
// returns. argv[0] defaults to the path's base name.
Result<Child> spawn(OpenedBinary&& binary, const BinaryVerifier& verify, const Policy& policy,
                    const std::vector<FdMapping>& fds);

// A supervisor killed outright (SIGKILL) leaves its sandboxes' empty cgroups
// behind, stockade/sbx-t<time>-<random>; this removes those older than a
// minute that the kernel lets go (a group still in use refuses rmdir and is
// kept). Off the launch path: `stockade jail` calls it while its program
// runs, the runtime at start and then periodically (its janitor thread).
// Thread-safe; best effort; it never fails.
void prune_stale_cgroups();

// What preparing the supervisor's own cgroups did, for its log. The first
// call prepares them (spawn() and prune_stale_cgroups() do if no one called
// this before): in a delegated v2 cgroup that holds the supervisor, it moves
// the supervisor's process into a leaf, `<cgroup>/supervisor`, so that the
// sandboxes get the memory, pids and cpu controllers (docs/security-model.md,
// "A delegated cgroup for an unprivileged supervisor"). Call it early, before
// the first sandbox. Later calls return the same note; thread-safe.
struct CgroupSetupNote {
  enum class Level { none, info, warning };
  Level level = Level::none;  // info: the move; warning: controllers that could not be enabled
  std::string message;        // one line, empty for none
};
CgroupSetupNote prepare_cgroups();

// Starts making spare network namespaces now (spare_netns.h), so that the
// first launch with Network::none need not make its own (1-3 ms here). Call
// it while the host starts; idempotent; does nothing useful without
// CAP_SYS_ADMIN (launches then use CLONE_NEWNET).
void warm_spare_netns();

}  // namespace stockade::sandbox
