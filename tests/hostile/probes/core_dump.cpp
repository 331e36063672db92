// Core dumps write the process's memory where core_pattern says (on the host,
// outside the jail, or to a host helper run as root). RLIMIT_CORE must be 0
// and must not be raisable; then the probe crashes on purpose (SIGABRT).
#include <sys/resource.h>

#include "probe.h"

int main() {
  rlimit core{};
  getrlimit(RLIMIT_CORE, &core);
  if (core.rlim_cur != 0 || core.rlim_max != 0) probe::finish(probe::kEscaped, "RLIMIT_CORE is not 0");
  rlimit raised{1024 * 1024, 1024 * 1024};
  if (setrlimit(RLIMIT_CORE, &raised) == 0) probe::finish(probe::kEscaped, "raised RLIMIT_CORE");
  std::printf("RLIMIT_CORE 0/0, raise: %s\n", probe::errno_name(errno));
  std::fflush(stdout);
  std::abort();
}
