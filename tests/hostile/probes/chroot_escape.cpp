// The textbook chroot escape: chroot into a subdirectory while keeping the
// cwd outside it, then walk up with "..". Needs CAP_SYS_CHROOT, which the
// jail lacks; pivot_root plus a detached old root leaves nothing above "/".
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

int main() {
  mkdir("/tmp/cell", 0700);
  if (chroot("/tmp/cell") != 0) probe::finish(probe::kBlocked, "chroot: %s", probe::errno_name(errno));
  for (int i = 0; i < 64; ++i) {
    if (chdir("..") != 0) break;
  }
  if (chroot(".") == 0 && access("/etc/hostname", F_OK) == 0)
    probe::finish(probe::kEscaped, "reached a root with /etc/hostname");
  probe::finish(probe::kEscaped, "chroot was allowed");
}
