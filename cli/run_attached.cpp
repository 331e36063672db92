#include "cli/run_attached.h"
#include "base/error.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <array>

#include "base/syscall.h"
#include "base/unique_fd.h"
#include "cli/stdio_relay.h"

namespace stockade::supervisor {
namespace {

constexpr std::array kForwardedSignals = {SIGINT, SIGTERM, SIGHUP};

// The write end of the self-pipe; the handler may only make async-signal-safe
// calls, so it just writes the signal number and lets the wait loop act.
int g_signal_pipe = -1;

void on_signal(int signo) {
  int saved = errno;
  auto byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] auto n = ::write(g_signal_pipe, &byte, 1);
  errno = saved;
}

// Installs the handlers for this object's lifetime. Handlers (unlike ignored
// or blocked signals) are reset to the default by execve, so the sandboxed
// program starts with ordinary signal behaviour.
class SignalForwarding {
 public:
  static Result<SignalForwarding> install() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return sys_error("cannot create a pipe", "pipe2");
    SignalForwarding forwarding{UniqueFd(fds[0]), UniqueFd(fds[1])};
    g_signal_pipe = forwarding.write_.get();
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < kForwardedSignals.size(); ++i) {
      if (::sigaction(kForwardedSignals[i], &action, &forwarding.previous_[i]) != 0) {
        return sys_error("cannot install a signal handler", "sigaction");
      }
      forwarding.installed_ = i + 1;
    }
    return forwarding;
  }

  SignalForwarding(SignalForwarding&& other) noexcept
      : read_(std::move(other.read_)), write_(std::move(other.write_)),
        previous_(other.previous_), installed_(std::exchange(other.installed_, 0)) {}
  SignalForwarding& operator=(SignalForwarding&&) = delete;
  ~SignalForwarding() {
    for (size_t i = 0; i < installed_; ++i) ::sigaction(kForwardedSignals[i], &previous_[i], nullptr);
    if (installed_ > 0) g_signal_pipe = -1;
  }

  int fd() const { return read_.get(); }
  // The first signal received, 0 if none.
  int take() const {
    unsigned char byte = 0;
    return ::read(read_.get(), &byte, 1) == 1 ? byte : 0;
  }

 private:
  SignalForwarding(UniqueFd read_end, UniqueFd write_end)
      : read_(std::move(read_end)), write_(std::move(write_end)) {}
  UniqueFd read_;
  UniqueFd write_;
  std::array<struct sigaction, kForwardedSignals.size()> previous_{};
  size_t installed_ = 0;
};

}  // namespace

Result<AttachedOutcome> run_attached(OpenedBinary&& binary, const sandbox::BinaryVerifier& verify,
                                     const sandbox::Policy& policy,
                                     std::optional<std::chrono::seconds> time_limit) {
  // Before spawning: a signal that arrives during setup must not be lost.
  auto forwarding = SignalForwarding::install();
  if (!forwarding) return forwarding.error();
  auto relay = StdioRelay::create();
  if (!relay) return relay.error();
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  auto child = sandbox::spawn(std::move(binary), verify, policy, (*relay)->child_fds());
  if (!child) return child.error();
  if (auto relaying = (*relay)->start(); !relaying) return relaying.error();  // ~Child kills it
  // While the program runs, off the launch's path.
  sandbox::prune_stale_cgroups();

  std::optional<Clock::time_point> deadline;
  if (time_limit) deadline = Clock::now() + *time_limit;

  AttachedOutcome outcome;
  outcome.applied = child->applied();
  outcome.timings = child->timings();
  // The sandbox has ended: its output drains (bounded), then we report.
  auto ended = [&](sandbox::ExitStatus status) {
    outcome.wall = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    outcome.status = std::move(status);
    outcome.output_cut = !(*relay)->finish(kOutputDrain);
    outcome.stderr_is_terminal = (*relay)->stderr_is_terminal();
    outcome.stderr_at_line_start = (*relay)->stderr_at_line_start();
    return outcome;
  };
  for (;;) {
    if (auto status = child->try_wait()) return ended(std::move(*status));
    // Wake for the wall-clock deadline and for the CPU budget's next check
    // (where a cgroup accounts it, the supervisor side ends the sandbox at
    // the budget: try_wait() above does the check once it is due).
    std::optional<Clock::time_point> wake = deadline;
    if (auto due = child->cpu_check_due(); due && (!wake || *due < *wake)) wake = *due;
    int timeout_ms = -1;
    if (wake) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*wake - Clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    std::array<pollfd, 3> watched{{{child->pidfd(), POLLIN, 0},
                                   {forwarding->fd(), POLLIN, 0},
                                   {child->violation_fd(), POLLIN, 0}}};
    nfds_t count = child->violation_fd() >= 0 ? 3 : 2;
    int ready = ::poll(watched.data(), count, timeout_ms);
    if (ready < 0 && errno != EINTR) return sys_error("cannot wait for the sandbox", "poll");
    // POLLHUP too: handle_violation() then closes the hung-up listener and
    // violation_fd() turns -1, so the next round waits on the pidfd alone.
    if (count == 3 && watched[2].revents != 0) child->handle_violation();
    if (int signo = forwarding->take(); signo != 0) {
      outcome.interrupted_by = signo;
      break;
    }
    if (ready == 0 && deadline && Clock::now() >= *deadline) {
      outcome.timed_out = true;
      break;
    }
  }
  child->kill();
  auto status = child->wait();
  if (!status) return status.error();
  return ended(std::move(*status));
}

}  // namespace stockade::supervisor
