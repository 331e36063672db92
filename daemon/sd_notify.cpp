#include "daemon/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "config/strict_json.h"

namespace stockade::daemon {
namespace {

std::optional<unsigned long long> parse_unsigned(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || text[0] == '-') return std::nullopt;
  return v;
}

// The address of `name` ("/path" or "@abstract"); its length for sendto.
std::optional<socklen_t> make_address(const std::string& name, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (name.empty() || name.size() > sizeof(addr.sun_path) - 1) return std::nullopt;
  if (name[0] != '/' && name[0] != '@') return std::nullopt;
  std::memcpy(addr.sun_path, name.data(), name.size());
  // Abstract: a leading NUL and exactly the name's bytes, no terminator.
  if (name[0] == '@') addr.sun_path[0] = '\0';
  const size_t bytes = offsetof(sockaddr_un, sun_path) + name.size() + (name[0] == '/' ? 1 : 0);
  return static_cast<socklen_t>(bytes);
}

}  // namespace

Result<SdNotifier> SdNotifier::from_environment() {
  SdNotifier n;
  const char* socket_name = std::getenv("NOTIFY_SOCKET");
  if (const auto usec = parse_unsigned(std::getenv("WATCHDOG_USEC")); usec && *usec > 0) {
    // WATCHDOG_PID, when set, names the process systemd watches: a child
    // that inherited the environment must not ping for its parent.
    const char* pid_text = std::getenv("WATCHDOG_PID");
    const auto pid = parse_unsigned(pid_text);
    if (pid_text == nullptr || (pid && *pid == static_cast<unsigned long long>(::getpid()))) {
      n.watchdog_ = std::chrono::microseconds(*usec / 2);
    }
  }
  if (socket_name == nullptr || *socket_name == '\0') {
    n.watchdog_.reset();  // nobody to ping
    return n;
  }
  n.address_ = socket_name;
  sockaddr_un addr{};
  if (!make_address(n.address_, addr)) {
    return Error{Errc::invalid_input,
                 "must be an absolute path or @abstract name of at most 107 bytes (got " +
                     supervisor::json_excerpt(n.address_) + ")",
                 "NOTIFY_SOCKET"};
  }
  n.fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!n.fd_) return Error{Errc::io, "cannot make the notify socket", "socket(AF_UNIX, SOCK_DGRAM)", errno};
  return n;
}

Status SdNotifier::notify(std::string_view state) const {
  if (!fd_) return {};
  sockaddr_un addr{};
  const auto len = make_address(address_, addr);
  if (!len) return Error{Errc::invalid_input, "bad address", "NOTIFY_SOCKET"};
  for (;;) {
    ssize_t n = ::sendto(fd_.get(), state.data(), state.size(), MSG_NOSIGNAL,
                         reinterpret_cast<const sockaddr*>(&addr), *len);
    if (n >= 0) return {};
    if (errno == EINTR) continue;
    return Error{Errc::io, "cannot tell systemd \"" + std::string(state.substr(0, 40)) + "\"",
                 "sendto(" + address_ + ")", errno};
  }
}

std::string SdNotifier::reloading_message() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const unsigned long long usec =
      static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL + static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace stockade::daemon
