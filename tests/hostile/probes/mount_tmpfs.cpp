// mount is how a process with CAP_SYS_ADMIN in its user namespace reshapes
// what it sees (remount a read-only bind writable, mount a cgroup fs and abuse
// release_agent, CVE-2022-0492). The sandbox must refuse it outright.
#include <sys/mount.h>

#include "probe.h"

int main() {
  if (mount("none", "/tmp", "tmpfs", 0, nullptr) == 0) probe::finish(probe::kEscaped, "mounted a tmpfs");
  probe::finish(probe::kBlocked, "mount: %s", probe::errno_name(errno));
}
