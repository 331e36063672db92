// Fork bomb: processes that exhaust the host's pid space and scheduler. The
// pids cgroup or RLIMIT_NPROC must stop it at the policy's limit. argv: the
// limit; the probe forks up to four times as many before calling it a hole.
#include <signal.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  long limit = probe::arg_long(argc, argv, 1);
  long forks = 0;
  while (forks < 4 * limit) {
    pid_t pid = fork();
    if (pid == 0) {
      pause();
      _exit(0);
    }
    if (pid < 0) break;
    ++forks;
  }
  if (forks >= limit) probe::finish(probe::kEscaped, "forked %ld processes, limit %ld", forks, limit);
  // Leaving the children behind on purpose: the sandbox must reap them.
  probe::finish(probe::kBlocked, "fork failed after %ld children: %s", forks, probe::errno_name(errno));
}
