// Reads a host file by its absolute host path: the jail's root is a fresh
// tmpfs, so host paths outside the read-only profile must not exist inside.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* path = probe::arg_str(argc, argv, 1);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) probe::finish(probe::kBlocked, "open: %s", probe::errno_name(errno));
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf);
  probe::finish(probe::kEscaped, "read %zd bytes of the host file", n);
}
