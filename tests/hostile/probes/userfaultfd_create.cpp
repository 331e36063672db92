// userfaultfd lets a process stall the kernel mid-copy at a chosen page: the
// standard tool to win kernel race conditions in exploits.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
  if (fd >= 0) probe::finish(probe::kEscaped, "userfaultfd returned an fd");
  probe::finish(probe::kBlocked, "userfaultfd: %s", probe::errno_name(errno));
}
