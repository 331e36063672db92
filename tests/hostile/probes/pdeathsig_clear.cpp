// Outliving the supervisor: the sandbox arms PR_SET_PDEATHSIG (SIGKILL) so
// its init dies with the supervisor. A plugin that clears it (or swaps in a
// signal it ignores) and then idles would survive a supervisor crash, with
// its cgroup and resources, forever. Prints a line once the prctl returned,
// then waits.
// Modes: "clear" sets 0, "swap" sets SIGUSR1 (ignored), "rearm" sets SIGKILL
// again (allowed: the guarantee stands), "keep" makes no call (the control).
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  if (argc < 2) probe::finish(probe::kProbeError, "usage: pdeathsig_clear clear|swap|rearm|keep");
  const char* mode = argv[1];
  int signo = -1;
  if (std::strcmp(mode, "clear") == 0) signo = 0;
  if (std::strcmp(mode, "swap") == 0) signo = SIGUSR1;
  if (std::strcmp(mode, "rearm") == 0) signo = SIGKILL;
  if (signo < 0 && std::strcmp(mode, "keep") != 0) probe::finish(probe::kProbeError, "unknown mode %s", mode);
  signal(SIGUSR1, SIG_IGN);
  if (signo >= 0 && prctl(PR_SET_PDEATHSIG, signo, 0, 0, 0) != 0)
    probe::finish(probe::kBlocked, "prctl PR_SET_PDEATHSIG: %s", probe::errno_name(errno));
  int armed = -1;
  prctl(PR_GET_PDEATHSIG, &armed, 0, 0, 0);
  std::printf("pdeathsig now %d\n", armed);
  std::fflush(stdout);
  for (;;) pause();
}
