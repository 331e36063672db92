#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <linux/seccomp.h>

#include "base/syscall.h"
#include "base/error.h"
#include "sandbox/child_state.h"
#include "sandbox/init/init_report.h"
#include "sandbox/syscall_names.h"

namespace stockade::sandbox {
namespace {

#ifndef P_PIDFD
constexpr idtype_t P_PIDFD = static_cast<idtype_t>(3);
#endif

// Checks are never closer together than this: cgroup accounting is exact,
// but a read per millisecond near the budget would be a busy loop.
constexpr auto kMinCpuCheckInterval = std::chrono::milliseconds(10);

int64_t cpu_seconds_of(const rusage& usage) {
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000000;
}

}  // namespace

Child::State::~State() {
  if (!status && pidfd) {
    kill_all();
    reap(true);
  }
  cgroup.remove();
}

void Child::State::kill_all() {
  if (status || !pidfd) return;
  // pidfd, not the pid: the pid cannot have been recycled while we hold it.
  // Failure means the init has already exited (ESRCH); its namespace is then
  // being torn down by the kernel, and the cgroup kill reaches any straggler.
  (void)syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
  cgroup.kill_all();
}

std::optional<ExitStatus> Child::State::reap(bool block) {
  if (status) return status;
  if (!pidfd) return std::nullopt;
  siginfo_t info{};
  rusage usage{};
  // The raw waitid takes a rusage: the CPU time tells a CPU-limit SIGKILL
  // from any other.
  long rc = retry_on_eintr([&] {
    return syscall(SYS_waitid, P_PIDFD, pidfd.get(), &info, WEXITED | (block ? 0 : WNOHANG),
                   &usage);
  });
  if (rc != 0) {
    if (!block) return std::nullopt;
    // ECHILD: somebody else reaped it (a SIGCHLD=SIG_IGN supervisor). The
    // process is gone; nothing more can be known.
    ExitStatus lost;
    lost.kind = ExitStatus::Kind::killed;
    lost.signal = SIGKILL;
    status = lost;
    return status;
  }
  if (info.si_pid == 0) return std::nullopt;  // WNOHANG, still running

  // The status is the plugin's (pid 2), as init saw it. Init itself only
  // ends without a report when it was killed: by us, by the parent-death
  // signal, by the OOM killer or by a SIGKILL from outside the namespace (the
  // plugin cannot end it: the kernel drops SIGKILL and SIGSTOP sent to a
  // namespace's init from inside, and init takes every other signal blocked
  // and ignores those from inside).
  ExitStatus result;
  // Init writes its one record just before it exits: once init is reaped,
  // the record is on the page.
  const std::optional<stockade_init_report> record = report.report();
  std::optional<int> plugin;
  if (record && record->magic == STOCKADE_INIT_REPORT_MAGIC) plugin = record->value;
  const bool init_cpu_limit = record && record->magic == STOCKADE_INIT_CPU_LIMIT_MAGIC;
  if (plugin && WIFEXITED(*plugin)) {
    result.kind = ExitStatus::Kind::exited;
    result.code = WEXITSTATUS(*plugin);
  } else if (plugin && WIFSIGNALED(*plugin)) {
    result.kind = ExitStatus::Kind::signaled;
    result.signal = WTERMSIG(*plugin);
  } else {
    result.kind = ExitStatus::Kind::signaled;
    result.signal = info.si_code == CLD_EXITED ? SIGKILL : info.si_status;
  }
  const bool by_signal = result.kind == ExitStatus::Kind::signaled;
  if (violation) {
    result.kind = ExitStatus::Kind::seccomp_violation;
    result.syscall = *violation;
    result.signal = SIGSYS;
  } else if (by_signal && result.signal == SIGSYS) {
    // Killed by the filter itself: a foreign or x32 ABI entry point.
    result.kind = ExitStatus::Kind::seccomp_violation;
    result.syscall = "non-native syscall ABI";
  } else if (cpu_budget_used_us || init_cpu_limit) {
    // The sandbox's CPU budget ran out, across all its processes: ended by
    // us (cgroup account) or by stockade-init (its own account).
    result.kind = ExitStatus::Kind::cpu_limit;
    result.signal = SIGKILL;
    result.cpu_used_ms = cpu_budget_used_us ? *cpu_budget_used_us / 1000
                                            : static_cast<uint64_t>(std::max(0, record->value));
  } else if (killed_by_supervisor) {
    result.kind = ExitStatus::Kind::killed;
    result.signal = SIGKILL;
  } else if (by_signal && result.signal == SIGKILL && cgroup.oom_kills() > 0) {
    result.kind = ExitStatus::Kind::memory_limit;
  } else if (by_signal && (result.signal == SIGXCPU ||
                           (result.signal == SIGKILL && cpu_seconds_limit > 0 &&
                            cpu_seconds_of(usage) >= static_cast<int64_t>(cpu_seconds_limit)))) {
    result.kind = ExitStatus::Kind::cpu_limit;
  } else if (by_signal && result.signal == SIGXFSZ) {
    result.kind = ExitStatus::Kind::file_size_limit;
  } else if (!plugin) {
    result.kind = ExitStatus::Kind::killed;
  }
  status = result;
  listener.reset();
  report = ReportPage();
  pidfd.reset();
  // All processes of the namespace are gone once its init is reaped.
  cgroup.remove();
  return status;
}

bool Child::State::handle_violation() {
  if (!listener || status) return false;
  pollfd pfd{listener.get(), POLLIN, 0};
  if (poll(&pfd, 1, 0) <= 0) return false;
  if (pfd.revents & POLLIN) {
    seccomp_notif notification;
    std::memset(&notification, 0, sizeof(notification));  // the kernel insists on zeroes
    if (ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_RECV, &notification) == 0) {
      // Named by syscall_names.h: libseccomp 2.5.4 alone reported the
      // syscalls of newer kernels as "#457". After the launch this includes
      // execve and execveat without allow_exec (spawn() answered the
      // sandbox's own two): ExitStatus::describe says what would allow them.
      if (!violation) violation = syscall_name(notification.data.arch, notification.data.nr);
      // The offending syscall stays blocked until the kill: it never runs.
      kill_all();
      return true;
    }
    // ENOENT: the notifying task died before we read it; fall through to
    // see whether anything is left under the filter.
    if (poll(&pfd, 1, 0) <= 0) return false;
  }
  // POLLHUP without POLLIN: no task is left under the filter, so no
  // violation can come any more. The listener stays readable-as-hung-up
  // until the last reference goes, while the pidfd turns readable only once
  // the kernel has torn the pid namespace down: a loop watching both would
  // spin in between. Closing it here makes violation_fd() -1 for every caller.
  if ((pfd.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(pfd.revents & POLLIN)) listener.reset();
  return false;
}

std::optional<std::chrono::steady_clock::time_point> Child::State::cpu_check_due() const {
  if (cpu_budget_us == 0 || status || cpu_budget_used_us || !pidfd) return std::nullopt;
  return next_cpu_check;
}

bool Child::State::check_cpu_budget() {
  if (!cpu_check_due()) return false;
  const auto now = std::chrono::steady_clock::now();
  const std::optional<uint64_t> used = cgroup.cpu_usage_us();
  if (!used) {
    // The account is unreadable (the group is being removed): the sandbox is
    // ending; look again a little later rather than never.
    next_cpu_check = now + std::chrono::seconds(1);
    return false;
  }
  if (*used >= cpu_budget_us) {
    cpu_budget_used_us = *used;
    kill_all();
    return true;
  }
  // The earliest the rest could be spent: every CPU busy from now on.
  const auto rest = std::chrono::microseconds((cpu_budget_us - *used) / std::max(1u, cpus));
  next_cpu_check = now + std::max<std::chrono::steady_clock::duration>(rest, kMinCpuCheckInterval);
  return false;
}

Child::Child(std::unique_ptr<State> state) : state_(std::move(state)) {}
Child::Child(Child&&) noexcept = default;
Child& Child::operator=(Child&&) noexcept = default;
Child::~Child() = default;

pid_t Child::pid() const { return state_->pid; }
int Child::pidfd() const { return state_->pidfd.get(); }
int Child::violation_fd() const { return state_->listener.get(); }
const AppliedLimits& Child::applied() const { return state_->applied; }
const LaunchTimings& Child::timings() const { return state_->timings; }
bool Child::handle_violation() { return state_->handle_violation(); }
std::optional<std::chrono::steady_clock::time_point> Child::cpu_check_due() const {
  return state_->cpu_check_due();
}
bool Child::check_cpu_budget() { return state_->check_cpu_budget(); }

Status Child::State::signal(int sig) {
  if (status || !pidfd) return Error{Errc::invalid_input, "the sandbox has ended", "signal", ESRCH};
  if (syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) != 0)
    return sys_error("signalling the sandbox's init", "signal");
  return {};
}

Status Child::signal(int sig) { return state_->signal(sig); }

void Child::kill() {
  if (state_->status) return;
  state_->killed_by_supervisor = true;
  state_->kill_all();
}

std::optional<ExitStatus> Child::try_wait() {
  state_->handle_violation();
  if (auto due = state_->cpu_check_due(); due && *due <= std::chrono::steady_clock::now())
    state_->check_cpu_budget();
  return state_->reap(false);
}

Result<ExitStatus> Child::wait(std::optional<std::chrono::milliseconds> timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = timeout ? Clock::now() + *timeout : Clock::time_point::max();
  while (!state_->status) {
    // -1 once the listener has hung up (poll ignores negative fds).
    pollfd fds[2] = {{state_->pidfd.get(), POLLIN, 0}, {state_->listener.get(), POLLIN, 0}};
    // Woken by the earlier of the deadline and the next CPU-budget check.
    auto wake = timeout && !state_->killed_by_supervisor ? deadline : Clock::time_point::max();
    const std::optional<Clock::time_point> cpu_due = state_->cpu_check_due();
    if (cpu_due) wake = std::min(wake, *cpu_due);
    int wait_ms = -1;
    if (wake != Clock::time_point::max()) {
      // Rounded up: waking a little early would spin until the due time.
      auto left = std::chrono::ceil<std::chrono::milliseconds>(wake - Clock::now());
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, INT32_MAX));
    }
    int n = poll(fds, 2, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("waiting for the sandbox");
    }
    if (n == 0) {
      if (cpu_due && *cpu_due <= Clock::now()) state_->check_cpu_budget();
      if (timeout && !state_->killed_by_supervisor && deadline <= Clock::now())
        kill();  // the time limit passed
      continue;
    }
    if (fds[1].revents != 0) state_->handle_violation();  // a violation, or the hang-up
    if (fds[0].revents & POLLIN) state_->reap(true);
  }
  return *state_->status;
}

}  // namespace stockade::sandbox
