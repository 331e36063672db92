// A SCHED_FIFO task at top priority is never preempted by normal tasks: a
// spinning one starves the host's CPU whatever the CPU quota says. Modes:
// fifo (sched_setscheduler), nice (setpriority to -20).
#include <sched.h>
#include <sys/resource.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* mode = probe::arg_str(argc, argv, 1);
  int rc = -1;
  if (std::strcmp(mode, "fifo") == 0) {
    sched_param param{};
    param.sched_priority = 99;
    rc = sched_setscheduler(0, SCHED_FIFO, &param);
  } else if (std::strcmp(mode, "nice") == 0) {
    rc = setpriority(PRIO_PROCESS, 0, -20);
  } else {
    probe::finish(probe::kProbeError, "usage: realtime_priority fifo|nice");
  }
  if (rc == 0) probe::finish(probe::kEscaped, "%s priority raised", mode);
  probe::finish(probe::kBlocked, "%s: %s", mode, probe::errno_name(errno));
}
