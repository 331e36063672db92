#include "cli/stderr_text.h"

#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include <string>

#include "base/syscall.h"
#include "cli/terminal_text.h"

namespace stockade::supervisor {
namespace {

// How long a message may wait for fd 2 to take it: a stalled reader of
// stockade's stderr must not hold stockade (and its end) for good.
constexpr int kMessageWaitMs = 2000;

// Writes all of `bytes` to fd 2; errors (a reader gone: EPIPE, SIGPIPE is
// ignored) and a reader that takes nothing for kMessageWaitMs drop the rest,
// as a message has nowhere else to go.
void write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    pollfd pfd{2, POLLOUT, 0};
    if (retry_on_eintr([&] { return ::poll(&pfd, 1, kMessageWaitMs); }) <= 0) return;
    ssize_t n = retry_on_eintr([&] { return ::write(2, bytes.data(), bytes.size()); });
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

ssize_t escaping_write(void* cookie, const char* data, size_t size) {
  auto* escaper = static_cast<TerminalEscaper*>(cookie);
  std::string out;
  escaper->feed(std::string_view(data, size), out);
  write_all(out);
  return static_cast<ssize_t>(size);  // consumed, whatever fd 2 did with it
}

int escaping_close(void* cookie) {
  auto* escaper = static_cast<TerminalEscaper*>(cookie);
  std::string out;
  escaper->finish(out);
  write_all(out);
  delete escaper;
  return 0;
}

}  // namespace

void install_escaping_stderr() {
  auto* escaper = new TerminalEscaper();
  cookie_io_functions_t io{};
  io.write = escaping_write;
  io.close = escaping_close;
  FILE* stream = ::fopencookie(escaper, "w", io);
  if (stream == nullptr) {
    delete escaper;
    return;
  }
  // Line-buffered, as a terminal's stderr would be unbuffered: each message
  // reaches fd 2 whole, before whatever comes next.
  ::setvbuf(stream, nullptr, _IOLBF, BUFSIZ);
  stderr = stream;
}

bool write_stderr_raw(std::string_view bytes, std::chrono::milliseconds timeout) {
  ::fflush(stderr);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!bytes.empty()) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{2, POLLOUT, 0};
    int ready = retry_on_eintr([&] { return ::poll(&pfd, 1, static_cast<int>(left.count())); });
    if (ready <= 0 || (pfd.revents & (POLLERR | POLLNVAL)) != 0) return false;
    ssize_t n = retry_on_eintr([&] { return ::write(2, bytes.data(), bytes.size()); });
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace stockade::supervisor
