// sysinfo(2) reports host-wide counters: total and free memory, load
// averages and the number of processes on the whole machine.
#include <sys/sysinfo.h>

#include "probe.h"

int main() {
  struct sysinfo info {};
  if (sysinfo(&info) != 0) probe::finish(probe::kBlocked, "sysinfo: %s", probe::errno_name(errno));
  probe::finish(probe::kEscaped, "sysinfo: %lu bytes of RAM, %u processes, load %lu", info.totalram * info.mem_unit,
                static_cast<unsigned>(info.procs), info.loads[0]);
}
