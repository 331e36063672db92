// Loading a kernel module is code execution in ring 0. Modes: init_module,
// finit_module, delete_module. The module images are garbage: only the
// syscall's fate matters.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  long rc = -1;
  static char image[64] = "not an ELF module";
  if (std::strcmp(mode, "init_module") == 0) {
    rc = syscall(SYS_init_module, image, sizeof image, "");
  } else if (std::strcmp(mode, "finit_module") == 0) {
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    rc = syscall(SYS_finit_module, fd, "", 0);
  } else if (std::strcmp(mode, "delete_module") == 0) {
    rc = syscall(SYS_delete_module, "loop", O_NONBLOCK);
  } else {
    probe::finish(probe::kProbeError, "usage: module_load init_module|finit_module|delete_module");
  }
  if (rc == 0) probe::finish(probe::kEscaped, "%s succeeded", mode);
  probe::finish(probe::kBlocked, "%s: %s", mode, probe::errno_name(errno));
}
