// perf_event_open: side channels on other processes and a history of kernel
// bugs (CVE-2013-2094, CVE-2023-6931).
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  perf_event_attr attr{};
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof attr;
  attr.config = PERF_COUNT_SW_CPU_CLOCK;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  if (fd >= 0) probe::finish(probe::kEscaped, "perf_event_open returned an fd");
  probe::finish(probe::kBlocked, "perf_event_open: %s", probe::errno_name(errno));
}
