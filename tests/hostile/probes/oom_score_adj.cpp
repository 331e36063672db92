// Lowering oom_score_adj (to -1000: never killed) makes the OOM killer pick a
// host process instead of the bomb. Raising it is allowed; lowering needs
// CAP_SYS_RESOURCE.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main() {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) probe::finish(probe::kBlocked, "open: %s", probe::errno_name(errno));
  if (write(fd, "-1000", 5) == 5) probe::finish(probe::kEscaped, "oom_score_adj lowered to -1000");
  probe::finish(probe::kBlocked, "write -1000: %s", probe::errno_name(errno));
}
