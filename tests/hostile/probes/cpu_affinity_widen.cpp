// max_cpu_cores is enforced by CPU affinity (plus a cgroup quota as root):
// a plugin that widens its own affinity takes every core of the host.
#include <sched.h>

#include "probe.h"

int main() {
  cpu_set_t before;
  CPU_ZERO(&before);
  if (sched_getaffinity(0, sizeof before, &before) != 0)
    probe::finish(probe::kProbeError, "sched_getaffinity: %s", probe::errno_name(errno));
  int allowed = CPU_COUNT(&before);
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) CPU_SET(cpu, &all);
  if (sched_setaffinity(0, sizeof all, &all) == 0) {
    cpu_set_t after;
    sched_getaffinity(0, sizeof after, &after);
    if (CPU_COUNT(&after) > allowed) probe::finish(probe::kEscaped, "widened from %d to %d CPUs", allowed, CPU_COUNT(&after));
  }
  probe::finish(probe::kBlocked, "%d CPU allowed, sched_setaffinity: %s", allowed, probe::errno_name(errno));
}
