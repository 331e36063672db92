// Empty files cost no bytes of a tmpfs's size, but every inode costs kernel
// memory: without an inode limit, /tmp is an unbounded kernel allocation.
// argv: the most files that may be created.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "probe.h"

int main(int argc, char** argv) {
  long limit = probe::arg_long(argc, argv, 1);
  long created = 0;
  while (created <= 4 * limit) {
    std::string path = "/tmp/i" + std::to_string(created);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) break;
    close(fd);
    ++created;
  }
  if (created > limit) probe::finish(probe::kEscaped, "created %ld files, limit %ld", created, limit);
  probe::finish(probe::kBlocked, "create failed after %ld files: %s", created, probe::errno_name(errno));
}
