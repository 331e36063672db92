// Overwrites a host file and creates a new one next to it: the host files are
// world-writable on purpose, so only their absence from the jail can stop it.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* existing = probe::arg_str(argc, argv, 1);
  const char* fresh = probe::arg_str(argc, argv, 2);
  int fd = open(existing, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd >= 0 && write(fd, "pwned", 5) == 5) probe::finish(probe::kEscaped, "overwrote %s", existing);
  int open_err = errno;
  fd = open(fresh, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) probe::finish(probe::kEscaped, "created %s", fresh);
  probe::finish(probe::kBlocked, "open: %s create: %s", probe::errno_name(open_err),
                probe::errno_name(errno));
}
