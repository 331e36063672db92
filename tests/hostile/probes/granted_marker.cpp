// Reads the marker file of a granted read-only folder and prints what it
// holds. Driven by the race test (escape_test.cpp): the folder is swapped for
// a symlink to a folder outside every granted prefix while sandboxes start;
// the outside folder's marker must never be what a sandbox reads.
// argv: the marker's path.
#include <fcntl.h>
#include <unistd.h>

#include "probe.h"

int main(int argc, char** argv) {
  const char* path = probe::arg_str(argc, argv, 1);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) probe::finish(probe::kBlocked, "open %s: %s", path, probe::errno_name(errno));
  char buf[64] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) probe::finish(probe::kProbeError, "read %s: %s", path, probe::errno_name(errno));
  buf[n] = '\0';
  probe::finish(probe::kBlocked, "marker %s", buf);
}
