// Signals to host processes by pid (the supervisor, a neighbour) and to every
// process it may signal (kill -1): the jail's pid namespace must hide them.
#include <signal.h>

#include "probe.h"

int main(int argc, char** argv) {
  if (argc < 2) probe::finish(probe::kProbeError, "usage: kill_host PID...");
  for (int i = 1; i < argc; ++i) {
    pid_t pid = static_cast<pid_t>(probe::arg_long(argc, argv, i));
    if (kill(pid, SIGKILL) == 0) probe::finish(probe::kEscaped, "killed host pid %d", pid);
    if (errno != ESRCH) probe::finish(probe::kEscaped, "host pid %d is visible: %s", pid, probe::errno_name(errno));
  }
  // kill(-1) never signals the caller, nor processes outside its pid namespace.
  int rc = kill(-1, SIGKILL);
  probe::finish(probe::kBlocked, "kill: ESRCH, kill -1: %s", rc == 0 ? "0" : probe::errno_name(errno));
}
