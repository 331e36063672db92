// Host device nodes: physical memory, kernel log, disks, the console. Only
// the harmless nodes of the default profile (/dev/null, /dev/zero,
// /dev/urandom, ...) may be there. argv: nodes that must be absent.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  if (argc < 2) probe::finish(probe::kProbeError, "usage: device_nodes PATH...");
  for (int i = 1; i < argc; ++i) {
    int fd = open(argv[i], O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) probe::finish(probe::kEscaped, "opened %s", argv[i]);
    if (errno != ENOENT) probe::finish(probe::kEscaped, "%s exists: %s", argv[i], probe::errno_name(errno));
  }
  probe::finish(probe::kBlocked, "no host device node: ENOENT");
}
