// Abstract unix sockets have no file to hide: they live in the network
// namespace (X11's @/tmp/.X11-unix, D-Bus, containerd's shim sockets were
// reachable this way, CVE-2020-15257). argv: the host's abstract name.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>

#include "probe.h"

int main(int argc, char** argv) {
  const char* name = probe::arg_str(argc, argv, 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) probe::finish(probe::kBlocked, "socket: %s", probe::errno_name(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  size_t len = std::strlen(name);
  if (len + 1 > sizeof addr.sun_path) probe::finish(probe::kProbeError, "name too long");
  std::memcpy(addr.sun_path + 1, name, len);
  socklen_t addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + len);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) == 0)
    probe::finish(probe::kEscaped, "connected to the host's @%s", name);
  probe::finish(probe::kBlocked, "connect: %s", probe::errno_name(errno));
}
