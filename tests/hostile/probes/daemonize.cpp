// Outliving the sandbox: the classic double fork and setsid of a daemon,
// then the plugin exits at once. The grandchild must die with the sandbox
// (the pid namespace's init is gone; the cgroup is killed).
#include <unistd.h>

#include "probe.h"

int main() {
  pid_t child = fork();
  if (child < 0) probe::finish(probe::kProbeError, "fork: %s", probe::errno_name(errno));
  if (child == 0) {
    setsid();
    if (fork() == 0) {
      for (;;) pause();
    }
    _exit(0);
  }
  probe::finish(probe::kBlocked, "daemon started, plugin exiting");
}
