// Direct hardware and x86 descriptor tables: iopl/ioperm open I/O ports (the
// PCI config space, the keyboard controller's reset line); modify_ldt has a
// long record of kernel bugs (CVE-2015-5157, CVE-2017-17053).
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  long rc = -1;
  if (std::strcmp(mode, "iopl") == 0) {
    rc = syscall(SYS_iopl, 3);
  } else if (std::strcmp(mode, "ioperm") == 0) {
    rc = syscall(SYS_ioperm, 0x64, 1, 1);
  } else if (std::strcmp(mode, "modify_ldt") == 0) {
    char table[16] = {};
    rc = syscall(SYS_modify_ldt, 0, table, sizeof table);
  } else {
    probe::finish(probe::kProbeError, "usage: hardware_access iopl|ioperm|modify_ldt");
  }
  if (rc >= 0) probe::finish(probe::kEscaped, "%s succeeded", mode);
  probe::finish(probe::kBlocked, "%s: %s", mode, probe::errno_name(errno));
}
