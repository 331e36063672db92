// Reads host files by their absolute host paths: the jail's root is a fresh
// tmpfs, so host paths outside the read-only profile must not exist inside.
// argv: the paths.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  if (argc < 2) probe::finish(probe::kProbeError, "usage: read_host_file PATH...");
  for (int i = 1; i < argc; ++i) {
    int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[64];
      ssize_t n = read(fd, buf, sizeof buf);
      probe::finish(probe::kEscaped, "read %zd bytes of %s", n, argv[i]);
    }
    if (errno != ENOENT) probe::finish(probe::kEscaped, "%s exists: %s", argv[i], probe::errno_name(errno));
  }
  probe::finish(probe::kBlocked, "open: ENOENT");
}
