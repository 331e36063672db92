#include "sdk/wake_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "base/error.h"

namespace stockade::sdk::detail {

namespace {

// The timer's fd cannot go bad under us, and the settings we pass are
// valid: a failure here means the process is broken, and the monitor it
// serves cannot do its job, so the process ends (the supervisor restarts it).
[[noreturn]] void fail(const char* call) {
  std::fprintf(stderr, "stockade sdk: %s on the call monitor's timer failed: %s; exiting\n", call,
               std::strerror(errno));
  _exit(70);
}

}  // namespace

Result<WakeTimer> WakeTimer::create() {
  UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
  if (!fd) return sys_error("cannot create the call monitor's timer", "timerfd_create", errno);
  return WakeTimer(std::move(fd));
}

void WakeTimer::arm(std::chrono::nanoseconds after) {
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(after.count() / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(after.count() % 1'000'000'000);
  if (::timerfd_settime(fd_.get(), 0, &spec, nullptr) != 0) fail("timerfd_settime");
}

void WakeTimer::wait() {
  std::uint64_t expiries = 0;
  for (;;) {
    const ssize_t n = ::read(fd_.get(), &expiries, sizeof expiries);
    if (n == static_cast<ssize_t>(sizeof expiries)) return;
    if (n < 0 && errno == EINTR) continue;
    fail("read");
  }
}

}  // namespace stockade::sdk::detail
