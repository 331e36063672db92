// Outliving the supervisor: the sandbox arms PR_SET_PDEATHSIG (SIGKILL) so
// its init dies with the supervisor. A plugin that clears it (or swaps in a
// signal it ignores) and then idles would survive a supervisor crash, with
// its cgroup and resources, forever. Prints a line once disarmed, then waits.
// Mode "keep" leaves the signal armed: the control case.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  bool keep = argc > 1 && std::strcmp(argv[1], "keep") == 0;
  signal(SIGUSR1, SIG_IGN);
  if (!keep && prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) != 0 && prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) != 0)
    probe::finish(probe::kBlocked, "prctl PR_SET_PDEATHSIG: %s", probe::errno_name(errno));
  int armed = -1;
  prctl(PR_GET_PDEATHSIG, &armed, 0, 0, 0);
  std::printf("pdeathsig now %d\n", armed);
  std::fflush(stdout);
  for (;;) pause();
}
