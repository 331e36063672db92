// File size bomb: one file grown without end. RLIMIT_FSIZE must stop it
// (SIGXFSZ) before the /tmp tmpfs is full. argv: the file size limit.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  long limit = probe::arg_long(argc, argv, 1);
  int fd = open("/tmp/bomb", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) probe::finish(probe::kProbeError, "open /tmp/bomb: %s", probe::errno_name(errno));
  static char block[64 * 1024];
  long written = 0;
  while (written <= 4 * limit) {
    ssize_t n = write(fd, block, sizeof block);
    if (n <= 0) break;
    written += n;
  }
  if (written > limit) probe::finish(probe::kEscaped, "wrote %ld bytes, limit %ld", written, limit);
  probe::finish(probe::kBlocked, "write failed after %ld bytes: %s", written, probe::errno_name(errno));
}
