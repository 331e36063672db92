// Kernel knobs reachable through /proc: core_pattern with a pipe runs a
// program as root on the host at the next crash (a classic container escape),
// sysrq-trigger reboots or crashes the host, hostname and drop_caches affect
// everyone. All must be unwritable. argv: the files to try.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  if (argc < 2) probe::finish(probe::kProbeError, "usage: proc_sys_write FILE...");
  for (int i = 1; i < argc; ++i) {
    int fd = open(argv[i], O_WRONLY | O_CLOEXEC);
    if (fd >= 0) probe::finish(probe::kEscaped, "%s is writable", argv[i]);
    if (errno != EACCES && errno != EROFS && errno != ENOENT && errno != EPERM)
      probe::finish(probe::kProbeError, "open %s: %s", argv[i], probe::errno_name(errno));
  }
  probe::finish(probe::kBlocked, "no kernel knob is writable");
}
