// A setuid-root binary inside the jail would hand out root the moment it is
// executed: no_new_privs, nosuid mounts and an unmapped owner must each keep
// the process's ids. argv: the setuid helper's path. Run with "report" as
// argv[1] it is the helper itself and prints its ids.
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* target = probe::arg_str(argc, argv, 1);
  if (std::strcmp(target, "report") == 0) {
    if (geteuid() != getuid() || geteuid() == 0)
      probe::finish(probe::kEscaped, "setuid worked: uid %d euid %d", getuid(), geteuid());
    probe::finish(probe::kBlocked, "setuid ignored: uid %d euid %d", getuid(), geteuid());
  }
  char arg0[] = "setuid_exec";
  char arg1[] = "report";
  char* args[] = {arg0, arg1, nullptr};
  char* env[] = {nullptr};
  execve(target, args, env);
  probe::finish(probe::kProbeError, "execve %s: %s", target, probe::errno_name(errno));
}
