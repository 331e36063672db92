// What the plugin learns about its own binary: /proc/self/exe must name the
// path inside the sandbox (the verified inode bound at /run/stockade/plugin),
// not where the binary lives on the host. Prints the link and whether the
// file there is the running binary (same st_dev/st_ino as /proc/self/exe).
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

int main() {
  char target[4096] = {};
  ssize_t n = readlink("/proc/self/exe", target, sizeof target - 1);
  if (n < 0) probe::finish(probe::kProbeError, "readlink /proc/self/exe: %s", probe::errno_name(errno));
  struct stat by_link, by_path;
  if (stat("/proc/self/exe", &by_link) != 0) probe::finish(probe::kProbeError, "stat /proc/self/exe: %s", probe::errno_name(errno));
  if (stat(target, &by_path) != 0) probe::finish(probe::kEscaped, "exe %s (not reachable inside)", target);
  bool same = by_link.st_dev == by_path.st_dev && by_link.st_ino == by_path.st_ino;
  probe::finish(probe::kBlocked, "exe %s%s", target, same ? "" : " (another file)");
}
