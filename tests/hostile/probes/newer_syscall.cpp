// A syscall newer than the libseccomp stockade is built with, made through
// syscall(2) by number: the violation report must name it, not say "#457".
// argv[1]: statmount (457) or lsm_list_modules (461), both refused.
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "probe.h"

int main(int argc, char** argv) {
  const char* name = probe::arg_str(argc, argv, 1);
  long rc = -1;
  if (std::strcmp(name, "statmount") == 0) {
    rc = syscall(457, nullptr, nullptr, 0, 0);
  } else if (std::strcmp(name, "lsm_list_modules") == 0) {
    uint64_t ids[16];
    uint32_t size = sizeof(ids);
    rc = syscall(461, ids, &size, 0);
  } else {
    probe::finish(probe::kProbeError, "usage: statmount|lsm_list_modules");
  }
  probe::finish(probe::kEscaped, "%s returned %ld (%s)", name, rc, rc < 0 ? probe::errno_name(errno) : "ok");
}
