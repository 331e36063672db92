// A device node for /dev/mem (1:1) or a disk gives raw access to host memory
// or storage, whatever the mounts say. Modes: mknod, mknodat (both syscalls
// exist on x86_64; glibc uses mknodat).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  long rc = -1;
  if (std::strcmp(mode, "mknod") == 0) {
    rc = syscall(SYS_mknod, "/tmp/mem", S_IFCHR | 0666, makedev(1, 1));
  } else if (std::strcmp(mode, "mknodat") == 0) {
    rc = syscall(SYS_mknodat, AT_FDCWD, "/tmp/mem", S_IFCHR | 0666, makedev(1, 1));
  } else {
    probe::finish(probe::kProbeError, "usage: mknod_device mknod|mknodat");
  }
  if (rc == 0) probe::finish(probe::kEscaped, "%s made a /dev/mem node", mode);
  probe::finish(probe::kBlocked, "%s: %s", mode, probe::errno_name(errno));
}
