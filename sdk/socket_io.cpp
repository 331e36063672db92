#include "sdk/socket_io.h"
#include "base/error.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "base/fd_passing.h"
#include "base/gathered_send.h"
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

Status send_all_with_fd(int fd, std::span<const std::uint8_t> bytes, int attached) {
  const ssize_t n = retry_on_eintr([&] { return send_with_fd(fd, bytes, attached); });
  if (n < 0) return sys_error("cannot write to the host", "sendmsg(fd " + std::to_string(fd) + ")");
  return send_all(fd, bytes.subspan(static_cast<std::size_t>(n)));
}

Status send_all_gathered(int fd, wire::GatheredFrame frame) {
  while (frame.size() > 0) {
    const ssize_t n =
        retry_on_eintr([&] { return send_gathered(fd, {frame.head, frame.payload, frame.tail}); });
    if (n < 0) return sys_error("cannot write to the host", "sendmsg(fd " + std::to_string(fd) + ")");
    frame = frame.after(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::size_t> read_some_with_fd(int fd, std::span<std::uint8_t> into, UniqueFd& received) {
  for (;;) {
    Received got = recv_with_fd(fd, into);
    if (got.bytes < 0 && errno == EINTR) continue;
    if (got.bytes < 0) return sys_error("cannot read from the host", "recvmsg(fd " + std::to_string(fd) + ")");
    if (got.truncated) {
      return Error{Errc::protocol, "the host sent more than one descriptor with one message", "recvmsg"};
    }
    received = std::move(got.fd);
    return static_cast<std::size_t>(got.bytes);
  }
}

Status wait_readable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  if (retry_on_eintr([&] { return ::poll(&pfd, 1, -1); }) < 0) {
    return sys_error("cannot wait for the host", "poll(fd " + std::to_string(fd) + ")");
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
