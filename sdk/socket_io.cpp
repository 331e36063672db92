#include "sdk/socket_io.h"
#include "base/error.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "base/syscall.h"

namespace stockade::sdk::detail {

Status send_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n =
        retry_on_eintr([&] { return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL); });
    if (n < 0) return sys_error("cannot write to the host", "send(fd " + std::to_string(fd) + ")");
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::size_t> read_some(int fd, std::span<std::uint8_t> into) {
  const ssize_t n = retry_on_eintr([&] { return ::read(fd, into.data(), into.size()); });
  if (n < 0) return sys_error("cannot read from the host", "read(fd " + std::to_string(fd) + ")");
  return static_cast<std::size_t>(n);
}

Status read_exact_until(int fd, std::span<std::uint8_t> into,
                        std::chrono::steady_clock::time_point until) {
  using namespace std::chrono;
  while (!into.empty()) {
    const auto left = duration_cast<milliseconds>(until - steady_clock::now()).count();
    if (left <= 0) return Error{Errc::timeout, "the host did not answer in time", "handshake"};
    pollfd pfd{fd, POLLIN, 0};
    const int ready = retry_on_eintr(
        [&] { return ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 60000))); });
    if (ready < 0) return sys_error("cannot wait for the host", "poll");
    if (ready == 0) continue;
    auto n = read_some(fd, into);
    if (!n) return std::move(n).error();
    if (*n == 0) return Error{Errc::protocol, "the host closed the socket", "handshake"};
    into = into.subspan(*n);
  }
  return {};
}

}  // namespace stockade::sdk::detail
