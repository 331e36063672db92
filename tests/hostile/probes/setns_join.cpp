// setns joins the namespaces behind a /proc/<pid>/ns file: with a host pid's
// files reachable, this is a direct way back to the host's namespaces.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "probe.h"

int main() {
  int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) probe::finish(probe::kBlocked, "open ns: %s", probe::errno_name(errno));
  if (setns(fd, CLONE_NEWNET) == 0) probe::finish(probe::kEscaped, "setns succeeded");
  probe::finish(probe::kBlocked, "setns: %s", probe::errno_name(errno));
}
