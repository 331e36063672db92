#include "base/unique_fd.h"

#include <unistd.h>

namespace stockade {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) {
    // close() may report EINTR/EIO, but on Linux the fd is released either way;
    // retrying could close a descriptor another thread just received.
    ::close(fd_);
  }
  fd_ = fd;
}

}  // namespace stockade
