// Disk fill: many files, each under the file size limit, until /tmp is full.
// /tmp must be the jail's own size-limited tmpfs, never host storage. argv:
// the /tmp size in bytes.
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string>

#include "probe.h"

int main(int argc, char** argv) {
  long size = probe::arg_long(argc, argv, 1);
  struct statfs fs{};
  constexpr long kTmpfsMagic = 0x01021994;
  if (statfs("/tmp", &fs) != 0 || fs.f_type != kTmpfsMagic)
    probe::finish(probe::kEscaped, "/tmp is not a tmpfs");
  static char block[64 * 1024];
  long written = 0;
  int err = 0;
  for (int file = 0; written <= 4 * size && err == 0; ++file) {
    std::string path = "/tmp/fill" + std::to_string(file);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      err = errno;
      break;
    }
    for (int i = 0; i < 4; ++i) {
      ssize_t n = write(fd, block, sizeof block);
      if (n < 0) err = errno;
      if (n <= 0) break;
      written += n;
    }
    close(fd);
  }
  if (written > size) probe::finish(probe::kEscaped, "wrote %ld bytes into /tmp of %ld", written, size);
  probe::finish(probe::kBlocked, "/tmp full after %ld bytes: %s", written, probe::errno_name(err));
}
