// Any capability left (effective, permitted, inheritable, ambient or in the
// bounding set) or a missing no_new_privs is a step towards privilege:
// setuid binaries, capability-gated syscalls. Then tries to become uid 0.
#include <sys/prctl.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "probe.h"

int main() {
  std::ifstream status("/proc/self/status");
  std::string line;
  int checked = 0;
  while (std::getline(status, line)) {
    bool cap = line.rfind("Cap", 0) == 0;
    if (cap) {
      ++checked;
      if (line.find_first_not_of("0", line.find_first_of("0123456789abcdef", line.find(':'))) != std::string::npos)
        probe::finish(probe::kEscaped, "capability left: %s", line.c_str());
    }
    if (line.rfind("NoNewPrivs:", 0) == 0 && line.back() != '1')
      probe::finish(probe::kEscaped, "no_new_privs is off");
    if (line.rfind("Seccomp:", 0) == 0 && line.back() != '2')
      probe::finish(probe::kEscaped, "no seccomp filter: %s", line.c_str());
  }
  if (checked != 5) probe::finish(probe::kProbeError, "found %d Cap lines in /proc/self/status", checked);
  if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) probe::finish(probe::kEscaped, "PR_GET_NO_NEW_PRIVS is not 1");
  if (getuid() == 0 || geteuid() == 0) probe::finish(probe::kEscaped, "running as uid 0");
  std::printf("no capabilities, no_new_privs, seccomp on\n");
  std::fflush(stdout);
  // Last, as it may not return: the filter may kill on setuid itself.
  if (setuid(0) == 0) probe::finish(probe::kEscaped, "setuid(0) succeeded");
  probe::finish(probe::kBlocked, "setuid(0): %s", probe::errno_name(errno));
}
