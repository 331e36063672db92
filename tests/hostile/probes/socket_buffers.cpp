// Grow a socket's kernel buffers: memory that no rlimit counts. Without a
// cgroup, descriptors x processes x net.core.wmem_max held 204 MiB under a
// 16 MiB limit (issue 8). argv[1]: sndbuf, rcvbuf, sndbufforce, rcvbufforce.
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  int option = -1;
  int reported = -1;  // the option getsockopt reads back
  if (std::strcmp(mode, "sndbuf") == 0) option = reported = SO_SNDBUF;
  if (std::strcmp(mode, "rcvbuf") == 0) option = reported = SO_RCVBUF;
  if (std::strcmp(mode, "sndbufforce") == 0) option = SO_SNDBUFFORCE, reported = SO_SNDBUF;
  if (std::strcmp(mode, "rcvbufforce") == 0) option = SO_RCVBUFFORCE, reported = SO_RCVBUF;
  if (option < 0) probe::finish(probe::kProbeError, "usage: sndbuf|rcvbuf|sndbufforce|rcvbufforce");
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    probe::finish(probe::kProbeError, "socketpair: %s", probe::errno_name(errno));
  int before = 0;
  socklen_t length = sizeof(before);
  if (getsockopt(pair[0], SOL_SOCKET, reported, &before, &length) != 0)
    probe::finish(probe::kProbeError, "getsockopt: %s", probe::errno_name(errno));
  int wanted = 64 * 1024 * 1024;
  if (setsockopt(pair[0], SOL_SOCKET, option, &wanted, sizeof(wanted)) != 0)
    probe::finish(probe::kBlocked, "setsockopt %s: %s", mode, probe::errno_name(errno));
  int after = 0;
  length = sizeof(after);
  getsockopt(pair[0], SOL_SOCKET, reported, &after, &length);
  probe::finish(after > before ? probe::kEscaped : probe::kBlocked, "setsockopt %s: %d -> %d", mode, before, after);
}
