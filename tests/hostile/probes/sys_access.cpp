// /sys exposes the host's devices and, through /sys/fs/cgroup, the cgroup
// release_agent escape (CVE-2022-0492). The default profile has no /sys.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main() {
  const char* paths[] = {"/sys/kernel/uevent_helper", "/sys/fs/cgroup", "/sys/class/net", "/sys"};
  for (const char* path : paths) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) probe::finish(probe::kEscaped, "%s is reachable", path);
    if (errno != ENOENT) probe::finish(probe::kEscaped, "%s exists: %s", path, probe::errno_name(errno));
  }
  probe::finish(probe::kBlocked, "no /sys: ENOENT");
}
