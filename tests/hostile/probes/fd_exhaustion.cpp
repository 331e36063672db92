// Descriptor exhaustion: open files until the table is full. RLIMIT_NOFILE
// must stop it at the policy's limit. argv: the limit.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  long limit = probe::arg_long(argc, argv, 1);
  long opened = 0;
  while (opened < 4 * limit) {
    if (open("/dev/null", O_RDONLY) < 0) break;
    ++opened;
  }
  if (opened >= limit) probe::finish(probe::kEscaped, "opened %ld files, limit %ld", opened, limit);
  probe::finish(probe::kBlocked, "open failed after %ld files: %s", opened, probe::errno_name(errno));
}
