// A descriptor passed into the jail is a dup: the plugin shares its open file
// description, status flags included, with the host. Setting O_NONBLOCK on a
// stdin that is the operator's terminal (`stockade jail` attaches stdio)
// leaves the host's shell reading EAGAIN after the plugin is gone.
#include <fcntl.h>

#include "probe.h"

int main() {
  int flags = fcntl(0, F_GETFL);
  if (flags < 0) probe::finish(probe::kProbeError, "F_GETFL: %s", probe::errno_name(errno));
  if (fcntl(0, F_SETFL, flags | O_NONBLOCK) != 0)
    probe::finish(probe::kBlocked, "F_SETFL: %s", probe::errno_name(errno));
  probe::finish(probe::kBlocked, "stdin set to O_NONBLOCK");
}
