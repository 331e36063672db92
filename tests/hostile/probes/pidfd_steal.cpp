// pidfd_getfd copies a descriptor out of another process: with a pidfd of
// the supervisor it would take the supervisor's sockets and files. Tried on
// a child of its own, the only process reachable.
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  if (child < 0) probe::finish(probe::kProbeError, "fork: %s", probe::errno_name(errno));
  long pidfd = syscall(SYS_pidfd_open, child, 0);
  if (pidfd < 0) probe::finish(probe::kProbeError, "pidfd_open: %s", probe::errno_name(errno));
  long fd = syscall(SYS_pidfd_getfd, pidfd, 1, 0);
  if (fd >= 0) probe::finish(probe::kEscaped, "took fd 1 of a child");
  probe::finish(probe::kBlocked, "pidfd_getfd: %s", probe::errno_name(errno));
}
