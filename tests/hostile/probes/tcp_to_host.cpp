// Connects to a listener the host runs on 127.0.0.1 (a local admin API, a
// database): the jail's network namespace has its own, unconfigured loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  long port = probe::arg_long(argc, argv, 1);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) probe::finish(probe::kBlocked, "socket: %s", probe::errno_name(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
    probe::finish(probe::kEscaped, "connected to the host's 127.0.0.1:%ld", port);
  probe::finish(probe::kBlocked, "connect: %s", probe::errno_name(errno));
}
