// A descriptor inherited from the supervisor (a log file, a listening socket,
// a directory outside the jail: CVE-2024-21626 in runc leaked one) is a way
// around every other layer. Only the descriptors named on the command line
// may be open.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <string>

#include "probe.h"

int main(int argc, char** argv) {
  std::set<int> allowed;
  for (int i = 1; i < argc; ++i) allowed.insert(static_cast<int>(probe::arg_long(argc, argv, i)));
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) probe::finish(probe::kProbeError, "opendir /proc/self/fd: %s", probe::errno_name(errno));
  int own = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd == own || allowed.count(fd) != 0) continue;
    char target[256] = {};
    std::string fd_link = std::string("/proc/self/fd/") + entry->d_name;
    ssize_t n = readlink(fd_link.c_str(), target, sizeof target - 1);
    probe::finish(probe::kEscaped, "leaked fd %d -> %s", fd, n > 0 ? target : "?");
  }
  // /proc may lie if it is not ours: ask the kernel directly as well.
  for (int fd = 0; fd < 1024; ++fd) {
    if (fd == own || allowed.count(fd) != 0) continue;
    if (fcntl(fd, F_GETFD) != -1) probe::finish(probe::kEscaped, "leaked fd %d", fd);
  }
  probe::finish(probe::kBlocked, "only the mapped descriptors are open");
}
